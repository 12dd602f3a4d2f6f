{#- CKD-EPI 2021 (race-free) eGFR in mL/min/1.73m² from serum creatinine (mg/dL), age (years), sex.
    Sex 'U' uses the male coefficients (clinical-rules.md). -#}
{% macro ckd_epi_2021(scr, age, sex) -%}
    (142
     * pow(least({{ scr }} / case when {{ sex }} = 'F' then 0.7 else 0.9 end, 1.0),
           case when {{ sex }} = 'F' then -0.241 else -0.302 end)
     * pow(greatest({{ scr }} / case when {{ sex }} = 'F' then 0.7 else 0.9 end, 1.0), -1.200)
     * pow(0.9938, {{ age }})
     * case when {{ sex }} = 'F' then 1.012 else 1.0 end)
{%- endmacro %}

{#- Percent change from baseline, rounded to 6 decimals so that exact -50 % / +25 % stay exact in floating
    point; null when there is no usable baseline. -#}
{% macro pct_change(value, baseline) -%}
    case when {{ baseline }} > 0 then round(({{ value }} - {{ baseline }}) / {{ baseline }} * 100, 6) end
{%- endmacro %}
