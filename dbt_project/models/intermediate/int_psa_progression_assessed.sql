-- One row per indexed patient x progression rule: the PSA progression date under each rule of
-- clinical-rules.md; is_selected marks the rule chosen by var psa_progression_rule. Every rule is a set of rows of the seed psa_thresholds (criterion
-- psa_progression); one query evaluates every rule (cross join), a threshold a rule lacks does not apply.
-- Every PSA after t0 up to the cut-off counts (not only the post window). The nadir so far includes the
-- baseline PSA and every earlier post-t0 PSA (not the value itself).
--   qualifies: value > nadir, value >= (1 + min_rise_pct/100) x nadir, value >= nadir + min_rise_ng_ml;
--     while PSA has not yet fallen below baseline, values before t0 + early_rise_ignored_days do not count
--     (PCWG3's 12-week rule).
--   confirmation_days: confirmed when the next PSA >= confirmation_days later also qualifies; with no such
--     PSA, it counts when the patient's last PSA qualifies (an unconfirmed last rise).
--   pcwg3: 25 %, 2 ng/mL, 21 days, 84 days; rise25: 25 % only. The date is the first qualifying value's.
-- Without a baseline PSA no progression is assessed.
with patients as (
    select * from {{ ref('int_patients_indexed') }}
),

rules as (
    select
        rule as psa_progression_rule,
        {{- threshold_columns(['min_rise_pct', 'min_rise_ng_ml', 'confirmation_days', 'early_rise_ignored_days']) }}
    from {{ ref('psa_thresholds') }}
    where criterion = 'psa_progression'
    group by rule
),

baseline as (
    select patient_id, baseline_value as baseline_psa
    from {{ ref('int_lab_baselines_selected') }}
    where analyte = 'psa' and baseline_value is not null
),

psa as (
    select
        l.patient_id, l.sample_date, l.value, l.line_number, l.days_from_t0, b.baseline_psa,
        row_number() over (partition by l.patient_id order by l.sample_date, l.line_number) as seq
    from {{ ref('int_lab_results_normalised') }} as l
    inner join baseline as b on b.patient_id = l.patient_id
    where l.analyte = 'psa' and l.days_from_t0 > 0
),

with_nadir as (
    select
        *,
        least(
            baseline_psa,
            coalesce(
                min(value) over (
                    partition by patient_id order by seq rows between unbounded preceding and 1 preceding
                ),
                baseline_psa
            )
        ) as nadir_so_far
    from psa
),

flagged as (
    select
        n.*,
        r.psa_progression_rule,
        r.confirmation_days,
        n.value > n.nadir_so_far
        and n.value >= (1 + coalesce(r.min_rise_pct, 0) / 100) * n.nadir_so_far
        and n.value >= n.nadir_so_far + coalesce(r.min_rise_ng_ml, 0)
        and not (
            n.nadir_so_far >= n.baseline_psa and n.days_from_t0 < coalesce(r.early_rise_ignored_days, 0)
        ) as qualifies
    from with_nadir as n
    cross join rules as r
),

last_value as (
    select patient_id, psa_progression_rule, qualifies as last_qualifies
    from flagged
    qualify row_number() over (partition by patient_id, psa_progression_rule order by seq desc) = 1
),

confirmation as (
    select q.patient_id, q.psa_progression_rule, q.seq, c.qualifies as confirmed
    from flagged as q
    inner join flagged as c
        on c.patient_id = q.patient_id
        and c.psa_progression_rule = q.psa_progression_rule
        and c.sample_date >= q.sample_date + cast(q.confirmation_days as integer)
    where q.qualifies and q.confirmation_days is not null
    qualify row_number() over (partition by q.patient_id, q.psa_progression_rule, q.seq order by c.seq) = 1
),

progression as (
    select
        f.patient_id,
        f.psa_progression_rule,
        min(f.sample_date) filter (
            where f.qualifies
            and (f.confirmation_days is null or coalesce(c.confirmed, lv.last_qualifies))
        ) as progression_date
    from flagged as f
    left join confirmation as c
        on c.patient_id = f.patient_id and c.psa_progression_rule = f.psa_progression_rule and c.seq = f.seq
    inner join last_value as lv
        on lv.patient_id = f.patient_id and lv.psa_progression_rule = f.psa_progression_rule
    group by f.patient_id, f.psa_progression_rule
),

final as (
    select
        p.patient_id,
        r.psa_progression_rule,
        r.psa_progression_rule = '{{ var("psa_progression_rule") }}' as is_selected,
        b.baseline_psa is not null as progression_assessable,
        pr.progression_date
    from patients as p
    cross join rules as r
    left join baseline as b on b.patient_id = p.patient_id
    left join progression as pr
        on pr.patient_id = p.patient_id and pr.psa_progression_rule = r.psa_progression_rule
)

select * from final
