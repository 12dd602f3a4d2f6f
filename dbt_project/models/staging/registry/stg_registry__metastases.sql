select
    s.patient_id,
    s.assessment_date,
    s.site,
    s.extent
from {{ source('raw', 'metastases') }} as s
cross join {{ ref('stg_registry__export_manifest') }} as m
where not coalesce(s.after_cutoff, false) and s.assessment_date <= m.data_cutoff
