{#- One column per named threshold of a thresholds seed (columns rule, threshold, value), for a select that
    aggregates the seed's rows: max(value) of the rows of that threshold, named after it. With `rule`, only
    that rule's rows count and the column is named `<rule>_<threshold>`. -#}
{% macro threshold_columns(thresholds, rule=none) -%}
    {%- for threshold in thresholds %}
        max(value) filter (where {% if rule %}rule = '{{ rule }}' and {% endif %}threshold = '{{ threshold }}')
            as {% if rule %}{{ rule }}_{% endif %}{{ threshold }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
