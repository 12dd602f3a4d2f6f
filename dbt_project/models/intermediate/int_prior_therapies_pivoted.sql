-- One row per indexed patient with a boolean per prior therapy and group. A therapy counts as prior when
-- it started on or before t0 or has no start date. NAAD = abiraterone, enzalutamide, apalutamide,
-- darolutamide; chemotherapy = docetaxel or cabazitaxel; 2nd-line cabazitaxel = cabazitaxel after
-- docetaxel (cabazitaxel started on/after docetaxel's start, or either start date unknown).
with prior as (
    select t.*
    from {{ ref('stg_registry__prior_therapies') }} as t
    inner join {{ ref('int_patients_indexed') }} as p on p.patient_id = t.patient_id
    where t.start_date is null or t.start_date <= p.t0_date
),

cabazitaxel_after_docetaxel as (
    select distinct c.patient_id
    from prior as c
    inner join prior as d on d.patient_id = c.patient_id and d.therapy = 'docetaxel'
    where c.therapy = 'cabazitaxel'
        and (c.start_date is null or d.start_date is null or c.start_date >= d.start_date)
),

pivoted as (
    select
        patient_id,
        {%- for therapy in ['prostatectomy', 'radiotherapy', 'adt', 'abiraterone', 'enzalutamide',
                            'apalutamide', 'darolutamide', 'docetaxel', 'cabazitaxel', 'radium223',
                            'parp_inhibitor', 'other'] %}
        bool_or(therapy = '{{ therapy }}') as prior_{{ therapy }},
        {%- endfor %}
        bool_or(therapy in ('abiraterone', 'enzalutamide', 'apalutamide', 'darolutamide')) as prior_naad,
        bool_or(therapy in ('docetaxel', 'cabazitaxel')) as prior_chemotherapy
    from prior
    group by patient_id
)

select
    p.patient_id,
    {%- for col in ['prostatectomy', 'radiotherapy', 'adt', 'abiraterone', 'enzalutamide', 'apalutamide',
                    'darolutamide', 'docetaxel', 'cabazitaxel', 'radium223', 'parp_inhibitor', 'other',
                    'naad', 'chemotherapy'] %}
    coalesce(v.prior_{{ col }}, false) as prior_{{ col }},
    {%- endfor %}
    c.patient_id is not null as prior_cabazitaxel_2nd_line
from {{ ref('int_patients_indexed') }} as p
left join pivoted as v on v.patient_id = p.patient_id
left join cabazitaxel_after_docetaxel as c on c.patient_id = p.patient_id
