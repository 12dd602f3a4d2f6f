-- Consent is enforced by ingestion; the filter repeats it so that no later change there can leak a
-- refusing patient into the marts.
select
    patient_id,
    site_id,
    sex,
    diagnosis_date,
    gleason_score
from {{ source('raw', 'patients') }}
where consent_data_use = 'yes'
