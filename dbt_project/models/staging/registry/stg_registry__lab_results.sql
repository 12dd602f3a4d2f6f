-- Values and the row's own reference range in the canonical unit (unit_conversions seed). Default
-- reference ranges (by sex) and derived eGFR are added in int_lab_results_normalised, which needs the
-- patient's sex and the age on the sample date (age_at_sample, derived by ingestion: no birth date is
-- stored).
select
    s.source_file || ':' || s.line_number as lab_result_id,
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
cross join {{ ref('stg_registry__export_manifest') }} as m
inner join {{ ref('unit_conversions') }} as u
    on u.quantity = s.analyte and u.unit = s.unit
where not coalesce(s.after_cutoff, false) and s.sample_date <= m.data_cutoff
