-- Baseline ECOG per indexed patient: the latest assessment in [t0 - ecog_baseline_window_days, t0]
-- (same day counts); two assessments on that date: the worse (higher) one.
select
    p.patient_id,
    s.assessment_date as baseline_ecog_date,
    s.ecog as baseline_ecog
from {{ ref('int_patients_indexed') }} as p
inner join {{ ref('stg_registry__performance_status') }} as s
    on s.patient_id = p.patient_id
    and s.assessment_date between p.ecog_baseline_window_start and p.t0_date
qualify row_number() over (partition by p.patient_id order by s.assessment_date desc, s.ecog desc) = 1
