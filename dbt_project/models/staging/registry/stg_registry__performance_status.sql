select
    s.patient_id,
    s.assessment_date,
    s.ecog
from {{ source('raw', 'performance_status') }} as s
where not coalesce(s.after_cutoff, false)
