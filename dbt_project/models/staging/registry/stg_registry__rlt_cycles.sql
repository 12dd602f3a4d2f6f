-- Activity in GBq via the unit_conversions seed; series defaults to 1 (export contract).
select
    s.patient_id,
    s.administration_date,
    s.radioligand,
    s.activity * u.multiplier / u.divisor as activity_gbq,
    s.activity as activity_exported,
    s.activity_unit as activity_unit_exported,
    coalesce(s.series, 1) as series_number,
    s.age_at_administration,
    s.source_file,
    s.line_number
from {{ source('raw', 'rlt_cycles') }} as s
inner join {{ ref('unit_conversions') }} as u
    on u.quantity = 'activity' and u.unit = s.activity_unit
where not coalesce(s.after_cutoff, false)
