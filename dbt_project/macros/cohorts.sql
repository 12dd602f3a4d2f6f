{#- Cohort membership from the cohorts seed: each row's `definition` is a SQL predicate over dim_patient.
    The seed is read at run time, so adding a cohort is one line in seeds/cohorts.csv. -#}
{% macro cohort_membership_sql(cohorts_relation, patients_relation) %}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- set result = run_query("select cohort, definition from " ~ cohorts_relation ~ " order by cohort") -%}
        {%- set rows = result.rows -%}
    {%- endif -%}
    {%- if rows | length == 0 %}
    select cast(null as varchar) as cohort, cast(null as varchar) as patient_id where false
    {%- else -%}
    {%- for row in rows %}
    select '{{ row[0] | replace("'", "''") }}' as cohort, patient_id
    from {{ patients_relation }}
    where ({{ row[1] }})
    {%- if not loop.last %}
    union all
    {%- endif -%}
    {%- endfor -%}
    {%- endif %}
{% endmacro %}
