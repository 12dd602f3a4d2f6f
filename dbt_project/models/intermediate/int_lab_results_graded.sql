-- Every normalised lab value with the CTCAE term reported for its analyte (if any) and its grade. The
-- baseline-relative criteria use the patient's baseline value of the analyte (int_lab_baselines_selected).
-- Only analytes whose criteria refer to the baseline carry it into the grading inputs, so that the distinct
-- (analyte, value, LLN, ULN, baseline) tuples stay few and the seed join stays small on 10 M lab rows.
with baseline_use as (
    select analyte, bool_or(ref = 'baseline' or baseline_condition <> 'any') as uses_baseline
    from {{ ref('ctcae_v5_lab_criteria') }}
    where reported
    group by analyte
),

-- read twice (the distinct grading inputs, the output): not materialized, so each read takes only its own
-- columns from the table. Materialized, its 8 M rows of every column held about 1.2 GB at 100,000 patients,
-- against the dbt build's 2 GB: 12-14 s for this model inside the build, 8.8-9.4 s so (benchmarks/RESULTS.md).
labs as not materialized (
    select
        l.*,
        b.baseline_value,
        case when u.uses_baseline then b.baseline_value end as grading_baseline_value,
        case when u.uses_baseline then b.baseline_above_uln end as grading_baseline_above_uln,
        u.analyte is not null as is_graded
    from {{ ref('int_lab_results_normalised') }} as l
    left join {{ ref('int_lab_baselines_selected') }} as b
        on b.patient_id = l.patient_id and b.analyte = l.analyte
    left join baseline_use as u on u.analyte = l.analyte
),

grading_inputs as (
    select distinct
        analyte, value, lln, uln,
        grading_baseline_value as baseline_value,
        grading_baseline_above_uln as baseline_above_uln
    from labs
    where is_graded
),

{{ ctcae_lab_grades('grading_inputs') }}

select
    l.patient_id,
    l.sample_date,
    l.analyte,
    l.value,
    l.unit,
    l.lln,
    l.uln,
    l.range_flag,
    l.is_derived,
    l.days_from_t0,
    l.period,
    l.baseline_value,
    g.term as ctcae_term,
    g.ctcae_grade,
    l.source_file,
    l.line_number
from labs as l
left join graded as g
    on g.analyte = l.analyte
    and g.value is not distinct from l.value
    and g.lln is not distinct from l.lln
    and g.uln is not distinct from l.uln
    and g.baseline_value is not distinct from l.grading_baseline_value
    and g.baseline_above_uln is not distinct from l.grading_baseline_above_uln
