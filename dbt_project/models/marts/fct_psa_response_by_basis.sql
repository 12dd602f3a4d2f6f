-- One row per patient x response basis (best, last, week12), whatever basis the run selected; is_selected
-- marks var psa_response_basis (those rows equal fct_psa_response).
select
    patient_id,
    response_basis,
    is_selected,
    response_change_pct as psa_change_pct,
    response_category,
    psa50,
    psa90
from {{ ref('int_psa_responses_assessed') }}
