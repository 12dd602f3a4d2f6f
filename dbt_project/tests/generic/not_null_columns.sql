{#- Every listed column is filled, checked in one scan of the model (one test per model instead of one per
    column: each dbt test costs a node's fixed overhead on every refresh). A failure returns one row per
    column that has nulls, with how many (`dbt test --store-failures` keeps them), naming the column. -#}
{% test not_null_columns(model, columns) %}
select column_name, n_null
from (
    select
    {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
unpivot (n_null for column_name in ({{ columns | join(", ") }}))
where n_null > 0
{% endtest %}
