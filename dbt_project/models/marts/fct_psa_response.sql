-- One row per patient: the PSA response on var psa_response_basis (the selected rows of
-- int_psa_responses_assessed; fct_psa_response_by_basis has every basis).
select
    patient_id,
    baseline_psa,
    baseline_psa_date,
    nadir_psa,
    nadir_date,
    last_psa,
    last_psa_date,
    psa_12w,
    psa_12w_date,
    best_psa_change_pct,
    last_psa_change_pct,
    psa_change_12w_pct,
    response_basis,
    response_change_pct,
    response_category,
    psa50,
    psa90
from {{ ref('int_psa_responses_assessed') }}
where is_selected
