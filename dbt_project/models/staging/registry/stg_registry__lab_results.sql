-- Values and the row's own reference range in the canonical unit (unit_conversions seed). Default
-- reference ranges (by sex) and derived eGFR are added in int_lab_results_normalised, which needs the
-- patient's sex and the age on the sample date (age_at_sample, derived by ingestion: no birth date is
-- stored).
-- Rows dated after the cut-off are dropped by their after_cutoff flag, which ingestion computes (the one place
-- of that rule: after data_cutoff or after exported_at). Comparing sample_date with the manifest's
-- data_cutoff here as well made DuckDB estimate this view at about 8,000 of 7.8 M rows at 100,000 patients
-- and build the hash tables of the lab joins downstream on the lab rows (benchmarks/RESULTS.md).
select
    s.patient_id,
    s.sample_date,
    s.analyte,
    s.value * u.multiplier / u.divisor as value,
    u.canonical_unit as unit,
    s.ref_low * u.multiplier / u.divisor as ref_low,
    s.ref_high * u.multiplier / u.divisor as ref_high,
    case s.value_qualifier when '<' then 'below_range' when '>' then 'above_range' end as range_flag,
    s.value_text,
    s.unit as unit_exported,
    s.age_at_sample,
    s.source_file,
    s.line_number
from {{ source('raw', 'lab_results') }} as s
inner join {{ ref('unit_conversions') }} as u
    on u.quantity = s.analyte and u.unit = s.unit
where not coalesce(s.after_cutoff, false)
