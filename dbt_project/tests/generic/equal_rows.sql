{#- The rows of `model` (filtered by `model_filter`) and of `compare_model` (filtered by `compare_filter`)
    are the same multiset over `columns` (`compare_columns` in `compare_model`, by position; default the same
    names): every failing row says on which side it is missing. -#}
{% test equal_rows(model, compare_model, columns, compare_columns=none, model_filter='true', compare_filter='true') %}
{%- set cols = columns | join(', ') %}
{%- set compare_cols = (compare_columns or columns) | join(', ') %}
with a as (
    select {{ cols }} from {{ model }} where {{ model_filter }}
),

b as (
    select {{ compare_cols }} from {{ compare_model }} where {{ compare_filter }}
),

only_a as (
    select * from a
    except all
    select * from b
),

only_b as (
    select * from b
    except all
    select * from a
)

select 'missing from {{ compare_model }}' as side, * from only_a
union all
select 'missing from {{ model }}' as side, * from only_b
{% endtest %}
