{#- The time-to-event columns of a survival row, from its start and end dates and its event type:
    time_days, time_months (days divided by 30.4375, the mean month), event (not censored) and event_type. -#}
{% macro survival_time_columns(start_date, end_date, event_type) -%}
    date_diff('day', {{ start_date }}, {{ end_date }}) as time_days,
    date_diff('day', {{ start_date }}, {{ end_date }}) / 30.4375 as time_months,
    {{ event_type }} <> 'censored' as event,
    {{ event_type }}
{%- endmacro %}
