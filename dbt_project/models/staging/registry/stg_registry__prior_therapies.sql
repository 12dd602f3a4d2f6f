-- Prior therapies carry no event date that the cut-off applies to (the contract lists none).
select
    patient_id,
    therapy,
    start_date,
    end_date
from {{ source('raw', 'prior_therapies') }}
