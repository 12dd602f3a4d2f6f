-- One row per patient x analyte with a value in the baseline window [t0 - baseline_window_days, t0]:
-- the latest such value (same-day values count). Ties on the date: a reported value before a derived one,
-- then the later line of the export.
select
    patient_id,
    analyte,
    {{ lab_result_id('source_file', 'line_number', 'is_derived') }} as baseline_lab_result_id,
    line_number as baseline_line_number,
    is_derived as baseline_is_derived,
    sample_date as baseline_date,
    value as baseline_value,
    lln as baseline_lln,
    uln as baseline_uln,
    value > uln as baseline_above_uln
from {{ ref('int_lab_results_normalised') }}
where period = 'baseline'
qualify row_number() over (
    partition by patient_id, analyte order by sample_date desc, is_derived, line_number desc
) = 1
