-- One row per indexed patient x clinical AE term (seed ae_terms): baseline grade (latest assessment in
-- [t0 - baseline_window_days, t0]), worst (highest) and last grade in the post-treatment window.
-- Grade 0 means assessed and absent; no assessment leaves the grade null.
with patients as (
    select * from {{ ref('int_patients_indexed') }}
),

events as (
    select
        a.patient_id, a.term, a.assessment_date, a.grade,
        case
            when a.assessment_date between p.baseline_window_start and p.t0_date then 'baseline'
            when a.assessment_date > p.t0_date and a.assessment_date <= p.post_window_end then 'post'
            else 'other'
        end as period
    from {{ ref('stg_registry__adverse_events') }} as a
    inner join patients as p on p.patient_id = a.patient_id
),

baseline as (
    select patient_id, term, grade as baseline_grade
    from events
    where period = 'baseline'
    qualify row_number() over (partition by patient_id, term order by assessment_date desc, grade desc) = 1
),

post_worst as (
    select patient_id, term, max(grade) as post_grade_worst
    from events
    where period = 'post'
    group by patient_id, term
),

post_last as (
    select patient_id, term, grade as post_grade_last
    from events
    where period = 'post'
    qualify row_number() over (partition by patient_id, term order by assessment_date desc, grade desc) = 1
)

select
    p.patient_id,
    t.term,
    t.ctcae_term,
    b.baseline_grade,
    w.post_grade_worst,
    l.post_grade_last
from patients as p
cross join {{ ref('ae_terms') }} as t
left join baseline as b on b.patient_id = p.patient_id and b.term = t.term
left join post_worst as w on w.patient_id = p.patient_id and w.term = t.term
left join post_last as l on l.patient_id = p.patient_id and l.term = t.term
