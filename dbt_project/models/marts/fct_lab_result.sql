-- A view over int_lab_results_graded (the warehouse contract allows a mart to be a view over a table): the
-- 8 M lab rows of a national export are stored once, not copied. The view names its table without the
-- catalog, so it still reads when the file is opened under another name (a renamed copy, an ATTACH alias).
-- lab_result_id is built here from the lineage columns: stored in the intermediate tables, its 8 M unique
-- strings cost about 2 s of writing at 100,000 patients (benchmarks/RESULTS.md).
{{ config(materialized='view') }}

select
    {{ lab_result_id('source_file', 'line_number', 'is_derived') }} as lab_result_id,
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
