-- One row per cohort x patient: the patients of dim_patient meeting the cohort's definition (a SQL predicate
-- over dim_patient, from seeds/cohorts.csv).
-- depends_on: {{ ref('cohorts') }}
{{ cohort_membership_sql(ref('cohorts'), ref('dim_patient')) }}
