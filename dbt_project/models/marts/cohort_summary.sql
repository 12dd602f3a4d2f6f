{{ config(alias="cohorts") }}
-- Published as marts.cohorts (the seed of the same name lives in schema seeds).
-- One row per cohort of seeds/cohorts.csv with its size.
select
    c.cohort,
    c.description,
    c.definition,
    count(m.patient_id) as n_patients
from {{ ref('cohorts') }} as c
left join {{ ref('cohort_membership') }} as m on m.cohort = c.cohort
group by c.cohort, c.description, c.definition
