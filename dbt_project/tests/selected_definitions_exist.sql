-- The run's psa_progression_rule names a rule of the seed psa_thresholds (else no PFS row would be selected).
select '{{ var("psa_progression_rule") }}' as psa_progression_rule
where not exists (
    select 1 from {{ ref('psa_thresholds') }}
    where criterion = 'psa_progression' and rule = '{{ var("psa_progression_rule") }}'
)
