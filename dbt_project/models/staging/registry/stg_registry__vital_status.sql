-- Vital status rows are kept even when flagged after_cutoff: a death (or contact) after the cut-off means
-- the patient was alive at the cut-off, i.e. censored there. Dropping the row would lose the patient.
select
    s.patient_id,
    case
        when s.death_date > m.data_cutoff then m.data_cutoff
        else least(s.last_known_alive_date, m.data_cutoff)
    end as last_known_alive_date,
    case when s.death_date <= m.data_cutoff then s.death_date end as death_date,
    coalesce(s.death_date > m.data_cutoff, false) as death_after_cutoff
from {{ source('raw', 'vital_status') }} as s
cross join {{ ref('stg_registry__export_manifest') }} as m
