-- One row per indexed patient: the PSA progression date under both rules of clinical-rules.md, and the one
-- chosen by var psa_progression_rule. Every PSA after t0 up to the cut-off counts (not only the post
-- window). The nadir so far includes the baseline PSA and every earlier post-t0 PSA (not the value itself).
--   pcwg3: value >= 1.25 x nadir and >= nadir + 2 ng/mL; while PSA has not yet fallen below baseline,
--          values before t0 + 84 days do not count (12-week rule); confirmed when the next PSA >= 21 days
--          later also qualifies; with no PSA >= 21 days later, it counts when the patient's last PSA
--          qualifies (an unconfirmed last rise). The date is the first qualifying value's date.
--   rise25: first value >= 1.25 x nadir (and above it), no absolute rise, no confirmation, no 12-week rule.
-- Without a baseline PSA no progression is assessed.
with patients as (
    select * from {{ ref('int_patients_indexed') }}
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
        *,
        value > nadir_so_far and value >= 1.25 * nadir_so_far and value >= nadir_so_far + 2
        and not (nadir_so_far >= baseline_psa and days_from_t0 < 84) as qualifies_pcwg3,
        value > nadir_so_far and value >= 1.25 * nadir_so_far as qualifies_rise25
    from with_nadir
),

last_value as (
    select patient_id, qualifies_pcwg3 as last_qualifies_pcwg3
    from flagged
    qualify row_number() over (partition by patient_id order by seq desc) = 1
),

confirmation as (
    select q.patient_id, q.seq, c.qualifies_pcwg3 as confirmed
    from flagged as q
    inner join flagged as c
        on c.patient_id = q.patient_id and c.sample_date >= q.sample_date + 21
    where q.qualifies_pcwg3
    qualify row_number() over (partition by q.patient_id, q.seq order by c.seq) = 1
),

progression as (
    select
        f.patient_id,
        min(f.sample_date) filter (
            where f.qualifies_pcwg3 and coalesce(c.confirmed, lv.last_qualifies_pcwg3)
        ) as progression_date_pcwg3,
        min(f.sample_date) filter (where f.qualifies_rise25) as progression_date_rise25
    from flagged as f
    left join confirmation as c on c.patient_id = f.patient_id and c.seq = f.seq
    inner join last_value as lv on lv.patient_id = f.patient_id
    group by f.patient_id
)

select
    p.patient_id,
    b.baseline_psa is not null as progression_assessable,
    pr.progression_date_pcwg3,
    pr.progression_date_rise25,
    '{{ var("psa_progression_rule") }}' as progression_rule,
    {%- if var('psa_progression_rule') == 'pcwg3' %}
    pr.progression_date_pcwg3
    {%- elif var('psa_progression_rule') == 'rise25' %}
    pr.progression_date_rise25
    {%- else %}
    {{ exceptions.raise_compiler_error("var psa_progression_rule must be pcwg3 or rise25") }}
    {%- endif %} as progression_date
from patients as p
left join baseline as b on b.patient_id = p.patient_id
left join progression as pr on pr.patient_id = p.patient_id
