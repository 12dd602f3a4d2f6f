-- Cycles numbered 1.. within patient in date order (series, then file line break ties).
select
    c.patient_id,
    c.series_number,
    row_number() over (
        partition by c.patient_id order by c.administration_date, c.series_number, c.line_number
    ) as cycle_number,
    c.administration_date,
    c.radioligand,
    c.activity_gbq,
    date_diff(
        'day',
        lag(c.administration_date) over (
            partition by c.patient_id order by c.administration_date, c.series_number, c.line_number
        ),
        c.administration_date
    ) as days_since_previous_cycle,
    c.source_file,
    c.line_number
from {{ ref('stg_registry__rlt_cycles') }} as c
inner join {{ ref('int_patients_indexed') }} as p on p.patient_id = c.patient_id
