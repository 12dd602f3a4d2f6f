{#- Custom schema names are used as is (staging, intermediate, marts, seeds): the warehouse contract names
    these schemas, so dbt's default "<target>_<custom>" prefixing must not apply. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
