{#- The lineage key of a lab value: source_file:line_number, suffixed :egfr for an eGFR derived from that line's
    creatinine. Built where it is shown (marts.fct_lab_result, int_lab_baselines_selected), never stored for
    all 8 M values of a national export. -#}
{% macro lab_result_id(source_file, line_number, is_derived) -%}
    {{ source_file }} || ':' || {{ line_number }} || case when {{ is_derived }} then ':egfr' else '' end
{%- endmacro %}
