select
    patient_id,
    series_number,
    cycle_number,
    administration_date,
    radioligand,
    activity_gbq,
    days_since_previous_cycle
from {{ ref('int_rlt_cycles_numbered') }}
