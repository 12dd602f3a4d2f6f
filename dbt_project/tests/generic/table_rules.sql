{#- Every rule of one table in one dbt test. Each dbt test is a node with a fixed cost on every refresh (about
    30 ms of dbt and two Dagster events, whatever the table's size), so the rules of a table are checked
    together: the row rules in one scan, each key and each relationship in one more.

    not_null         columns that must be filled
    unique           keys: a column (dbt's `unique`: nulls ignored) or a list of columns (the combination,
                     nulls compared as values)
    ranges           {column: [min, max]}: non-null values within the bounds, inclusive; null = no bound
    accepted_values  {column: [values]}: non-null values among these
    relationships    [{column, to, field}]: every non-null value of `column` is a `field` of `to`
    expressions      SQL conditions true on every row (null counts as a failure)

    A failure returns one row per broken rule: `rule`, `subject` (the column, key, relationship or
    expression) and `n_failing` (rows, or duplicated keys); `dbt test --store-failures` keeps them. -#}
{% test table_rules(model, not_null=[], unique=[], ranges={}, accepted_values={}, relationships=[], expressions=[]) %}
{%- set checks = [] %}
{%- for column in not_null %}
    {%- do checks.append(("not null", column, column ~ " is null")) %}
{%- endfor %}
{%- for column, bounds in ranges.items() %}
    {%- set low, high = bounds %}
    {%- set outside = [] %}
    {%- if low is not none %}{% do outside.append(column ~ " < " ~ low) %}{% endif %}
    {%- if high is not none %}{% do outside.append(column ~ " > " ~ high) %}{% endif %}
    {%- set label = "range [" ~ (low if low is not none else "") ~ ", " ~ (high if high is not none else "") ~ "]" %}
    {%- do checks.append((label, column, column ~ " is not null and (" ~ outside | join(" or ") ~ ")")) %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
    {%- set literals = [] %}
    {%- for value in values %}
        {%- if value is string %}{% do literals.append("'" ~ value | replace("'", "''") ~ "'") %}
        {%- elif value is sameas true or value is sameas false %}{% do literals.append(value | string | lower) %}
        {%- else %}{% do literals.append(value | string) %}{% endif %}
    {%- endfor %}
    {%- do checks.append(("accepted values", column, column ~ " not in (" ~ literals | join(", ") ~ ")")) %}
{%- endfor %}
{%- for expression in expressions %}
    {%- do checks.append(("expression", expression, "not coalesce((" ~ expression ~ "), false)")) %}
{%- endfor %}

{%- if checks %}
select labels.rule, labels.subject, row_failures.n_failing
from (
    select
    {%- for rule, subject, condition in checks %}
        count(*) filter (where {{ condition }}) as check_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
unpivot (n_failing for check_id in ({% for c in checks %}check_{{ loop.index }}{{ ", " if not loop.last }}{% endfor %})) as row_failures
join (
    values
    {%- for rule, subject, condition in checks %}
        ('check_{{ loop.index }}', '{{ rule }}', '{{ subject | replace("'", "''") }}'){{ "," if not loop.last }}
    {%- endfor %}
) as labels (check_id, rule, subject) using (check_id)
where row_failures.n_failing > 0
{%- else %}
select null::varchar as rule, null::varchar as subject, 0::bigint as n_failing where false
{%- endif %}

{%- for key in unique %}
{%- set columns = [key] if key is string else key %}
union all
select 'unique' as rule, '{{ columns | join(", ") }}' as subject, count(*) as n_failing
from (
    select {{ columns | join(", ") }}
    from {{ model }}
    {%- if key is string %}
    where {{ key }} is not null
    {%- endif %}
    group by {{ columns | join(", ") }}
    having count(*) > 1
)
having count(*) > 0
{%- endfor %}

{%- for relationship in relationships %}
union all
select
    'relationship' as rule,
    '{{ relationship.column }} -> {{ relationship.to.identifier }}.{{ relationship.field }}' as subject,
    count(*) as n_failing
from {{ model }} as child
where child.{{ relationship.column }} is not null
  and not exists (
    select 1 from {{ relationship.to }} as parent
    where parent.{{ relationship.field }} = child.{{ relationship.column }}
  )
having count(*) > 0
{%- endfor %}
{% endtest %}
