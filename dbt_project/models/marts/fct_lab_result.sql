-- A view over int_lab_results_graded (the warehouse contract allows a mart to be a view over a table): the
-- 8 M lab rows of a national export are stored once, not copied. The view names its table without the
-- catalog, so it still reads when the file is opened under another name (a renamed copy, an ATTACH alias).
{{ config(materialized='view') }}

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
from {{ ref('int_lab_results_graded').include(database=False) }}
