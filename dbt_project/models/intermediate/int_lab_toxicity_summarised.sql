-- One row per indexed patient x reported CTCAE lab term: baseline value and grade, the worst and the last
-- value (and grade) in the post-treatment window. Worst = lowest for an "L" term, highest for an "H" term.
with terms as (
    select distinct term as ctcae_term, analyte, direction
    from {{ ref('ctcae_v5_lab_criteria') }}
    where reported
),

graded as (
    select g.*, t.direction
    from {{ ref('int_lab_results_graded') }} as g
    inner join terms as t on t.ctcae_term = g.ctcae_term
),

baseline as (
    select g.patient_id, g.ctcae_term, g.value as baseline_value, g.ctcae_grade as baseline_grade
    from graded as g
    inner join {{ ref('int_lab_baselines_selected') }} as b
        on b.baseline_lab_result_id = g.lab_result_id
),

post_worst as (
    select patient_id, ctcae_term, value as post_value_worst, ctcae_grade as post_grade_worst,
        sample_date as post_date_worst
    from graded
    where period = 'post'
    qualify row_number() over (
        partition by patient_id, ctcae_term
        order by case when direction = 'L' then value else -value end, sample_date, is_derived, line_number
    ) = 1
),

post_last as (
    select patient_id, ctcae_term, value as post_value_last, ctcae_grade as post_grade_last,
        sample_date as post_date_last
    from graded
    where period = 'post'
    qualify row_number() over (
        partition by patient_id, ctcae_term
        order by sample_date desc, is_derived, line_number desc
    ) = 1
)

select
    p.patient_id,
    t.ctcae_term,
    t.analyte,
    t.direction,
    b.baseline_value,
    b.baseline_grade,
    w.post_value_worst,
    w.post_grade_worst,
    w.post_date_worst,
    l.post_value_last,
    l.post_grade_last,
    l.post_date_last
from {{ ref('int_patients_indexed') }} as p
cross join terms as t
left join baseline as b on b.patient_id = p.patient_id and b.ctcae_term = t.ctcae_term
left join post_worst as w on w.patient_id = p.patient_id and w.ctcae_term = t.ctcae_term
left join post_last as l on l.patient_id = p.patient_id and l.ctcae_term = t.ctcae_term
