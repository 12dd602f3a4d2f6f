-- One row per patient x CTCAE term: the reported lab terms (graded from lab values) and the clinical AE
-- terms (recorded grades; their "values" are the recorded grades). post_grade follows var post_grade_basis,
-- post_value_paired follows var paired_post_value (used by the before/after lab comparison).
with lab as (
    select
        patient_id,
        ctcae_term,
        'lab' as source,
        analyte,
        baseline_value,
        baseline_grade,
        post_value_worst,
        post_value_last,
        post_grade_worst,
        post_grade_last
    from {{ ref('int_lab_toxicity_summarised') }}
),

clinical as (
    select
        patient_id,
        ctcae_term,
        'clinical' as source,
        cast(null as varchar) as analyte,
        cast(baseline_grade as double) as baseline_value,
        baseline_grade,
        cast(post_grade_worst as double) as post_value_worst,
        cast(post_grade_last as double) as post_value_last,
        post_grade_worst,
        post_grade_last
    from {{ ref('int_adverse_events_summarised') }}
),

combined as (
    select * from lab
    union all
    select * from clinical
),

chosen as (
    select
        *,
        {%- if var('post_grade_basis') == 'worst' %}
        post_grade_worst
        {%- elif var('post_grade_basis') == 'last' %}
        post_grade_last
        {%- else %}
        {{ exceptions.raise_compiler_error("var post_grade_basis must be worst or last") }}
        {%- endif %} as post_grade,
        {%- if var('paired_post_value') == 'last' %}
        post_value_last
        {%- elif var('paired_post_value') == 'worst' %}
        post_value_worst
        {%- else %}
        {{ exceptions.raise_compiler_error("var paired_post_value must be last or worst") }}
        {%- endif %} as post_value_paired
    from combined
)

select
    patient_id,
    ctcae_term,
    source,
    analyte,
    baseline_value,
    baseline_grade,
    post_value_worst,
    post_value_last,
    post_value_paired,
    post_grade_worst,
    post_grade_last,
    post_grade,
    '{{ var("post_grade_basis") }}' as post_grade_basis,
    case
        when baseline_grade is null or post_grade is null then 'not_evaluable'
        when post_grade < baseline_grade then 'improved'
        when post_grade > baseline_grade then 'worsened'
        else 'unchanged'
    end as shift,
    case
        when baseline_grade is null or post_grade is null then null
        else baseline_grade = 0 and post_grade >= 1
    end as newly_occurred,
    case
        when post_grade is null then null
        when post_grade >= 3 and baseline_grade is null then null
        else post_grade >= 3 and post_grade > baseline_grade
    end as treatment_emergent_grade3plus
from chosen
