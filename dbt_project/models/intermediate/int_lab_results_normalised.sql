-- Every lab value of an indexed patient in the canonical unit, with its reference range (own range,
-- else the default of lab_reference_ranges by analyte and sex), plus eGFR derived with CKD-EPI 2021 from
-- each creatinine value on a date without a reported eGFR; with days_from_t0 and period.
with labs as (
    select * from {{ ref('stg_registry__lab_results') }}
),

patients as (
    select * from {{ ref('int_patients_indexed') }}
),

egfr_dates as (
    select distinct patient_id, sample_date from labs where analyte = 'egfr'
),

reported as (
    select
        l.patient_id, l.sample_date, l.analyte, l.value, l.unit, l.ref_low, l.ref_high,
        l.range_flag, false as is_derived, l.source_file, l.line_number
    from labs as l
),

derived_egfr as (
    select
        l.patient_id,
        l.sample_date,
        'egfr' as analyte,
        -- rounded to 0.01 as laboratories report it
        round({{ ckd_epi_2021('l.value', "l.age_at_sample", 'p.sex') }}, 2) as value,
        'mL/min/1.73m²' as unit,
        cast(null as double) as ref_low,
        cast(null as double) as ref_high,
        -- a creatinine below the assay range gives an eGFR above the computed value, and vice versa
        case l.range_flag when 'below_range' then 'above_range' when 'above_range' then 'below_range' end
            as range_flag,
        true as is_derived,
        l.source_file,
        l.line_number
    from labs as l
    inner join patients as p on p.patient_id = l.patient_id
    left join egfr_dates as e on e.patient_id = l.patient_id and e.sample_date = l.sample_date
    where l.analyte = 'creatinine' and e.patient_id is null
),

all_values as (
    select * from reported
    union all
    select * from derived_egfr
)

select
    v.patient_id,
    v.sample_date,
    v.analyte,
    v.value,
    v.unit,
    coalesce(v.ref_low, r.lln) as lln,
    coalesce(v.ref_high, r.uln) as uln,
    v.range_flag,
    v.is_derived,
    date_diff('day', p.t0_date, v.sample_date) as days_from_t0,
    case
        when v.sample_date between p.baseline_window_start and p.t0_date then 'baseline'
        when v.sample_date > p.t0_date and v.sample_date <= p.post_window_end then 'post'
        else 'other'
    end as period,
    v.source_file,
    v.line_number
from all_values as v
inner join patients as p on p.patient_id = v.patient_id
left join {{ ref('lab_reference_ranges') }} as r on r.analyte = v.analyte and r.sex = p.sex
