select
    s.patient_id,
    s.assessment_date,
    s.site,
    s.extent
from {{ source('raw', 'metastases') }} as s
where not coalesce(s.after_cutoff, false)
