select
    lab_result_id,
    patient_id,
    sample_date,
    analyte,
    value,
    unit,
    lln,
    uln,
    range_flag,
    is_derived,
    days_from_t0,
    period,
    ctcae_term,
    ctcae_grade
from {{ ref('int_lab_results_graded') }}
