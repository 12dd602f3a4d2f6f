-- One row per indexed patient x response basis (best, last, week12): baseline PSA, nadir (lowest PSA in the
-- post-treatment window), best / last / 12-week change from baseline, and the response category on that
-- basis; is_selected marks var psa_response_basis.
-- 12-week PSA: the PSA closest to t0 + 84 days within +/- 21 days (any PSA after t0; the earlier one on a tie).
-- Every threshold (84 +/- 21 days, PR <= -50 %, PD >= +25 %, psa50, psa90) is a row of the seed psa_thresholds.
with patients as (
    select * from {{ ref('int_patients_indexed') }}
),

thresholds as (
    select
        {{- threshold_columns(['target_day', 'window_days'], rule='week12') }},
        {{- threshold_columns(['pr_max_change_pct', 'pd_min_change_pct', 'psa50_max_change_pct', 'psa90_max_change_pct']) }}
    from {{ ref('psa_thresholds') }}
    where criterion = 'psa_response'
),

psa as (
    select * from {{ ref('int_lab_results_normalised') }} where analyte = 'psa'
),

baseline as (
    select patient_id, baseline_value as baseline_psa, baseline_date as baseline_psa_date
    from {{ ref('int_lab_baselines_selected') }}
    where analyte = 'psa'
),

nadir as (
    select patient_id, value as nadir_psa, sample_date as nadir_date
    from psa
    where period = 'post'
    qualify row_number() over (partition by patient_id order by value, sample_date, line_number) = 1
),

last_post as (
    select patient_id, value as last_psa, sample_date as last_psa_date
    from psa
    where period = 'post'
    qualify row_number() over (partition by patient_id order by sample_date desc, line_number desc) = 1
),

week12 as (
    select psa.patient_id, psa.value as psa_12w, psa.sample_date as psa_12w_date
    from psa
    cross join thresholds as t
    where psa.days_from_t0 > 0 and abs(psa.days_from_t0 - t.week12_target_day) <= t.week12_window_days
    qualify row_number() over (
        partition by psa.patient_id
        order by abs(psa.days_from_t0 - t.week12_target_day), psa.sample_date, psa.line_number
    ) = 1
),

changes as (
    select
        p.patient_id,
        b.baseline_psa,
        b.baseline_psa_date,
        n.nadir_psa,
        n.nadir_date,
        l.last_psa,
        l.last_psa_date,
        w.psa_12w,
        w.psa_12w_date,
        {{ pct_change('n.nadir_psa', 'b.baseline_psa') }} as best_psa_change_pct,
        {{ pct_change('l.last_psa', 'b.baseline_psa') }} as last_psa_change_pct,
        {{ pct_change('w.psa_12w', 'b.baseline_psa') }} as psa_change_12w_pct
    from patients as p
    left join baseline as b on b.patient_id = p.patient_id
    left join nadir as n on n.patient_id = p.patient_id
    left join last_post as l on l.patient_id = p.patient_id
    left join week12 as w on w.patient_id = p.patient_id
),

{#- The response bases of clinical-rules.md, each the name of a change column above: listed once here. -#}
{%- set bases = {'best': 'best_psa_change_pct', 'last': 'last_psa_change_pct', 'week12': 'psa_change_12w_pct'} %}
{%- if var('psa_response_basis') not in bases %}
{{ exceptions.raise_compiler_error("var psa_response_basis must be one of " ~ (bases.keys() | join(", "))) }}
{%- endif %}

by_basis as (
    select
        c.*,
        b.response_basis,
        b.response_basis = '{{ var("psa_response_basis") }}' as is_selected,
        case b.response_basis
            {%- for basis, column in bases.items() %}
            when '{{ basis }}' then c.{{ column }}
            {%- endfor %}
        end as response_change_pct
    from changes as c
    cross join (
        values {% for basis in bases %}('{{ basis }}'){% if not loop.last %}, {% endif %}{% endfor %}
    ) as b (response_basis)
)

select
    c.*,
    case
        when c.response_change_pct is null then 'not_evaluable'
        when c.response_change_pct <= t.pr_max_change_pct then 'PR'
        when c.response_change_pct >= t.pd_min_change_pct then 'PD'
        else 'SD'
    end as response_category,
    c.response_change_pct <= t.psa50_max_change_pct as psa50,
    c.response_change_pct <= t.psa90_max_change_pct as psa90
from by_basis as c
cross join thresholds as t
