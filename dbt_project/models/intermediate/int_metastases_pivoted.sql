-- One row per indexed patient with a boolean per metastatic site assessed on or before t0 (baseline sites,
-- export contract); met_bone_diffuse = a bone assessment with extent 'diffuse'.
with baseline as (
    select m.*
    from {{ ref('stg_registry__metastases') }} as m
    inner join {{ ref('int_patients_indexed') }} as p on p.patient_id = m.patient_id
    where m.assessment_date <= p.t0_date
),

pivoted as (
    select
        patient_id,
        {%- for site in ['bone', 'lymph_node', 'liver', 'lung', 'brain', 'spinal', 'other_visceral', 'other'] %}
        bool_or(site = '{{ site }}') as met_{{ site }},
        {%- endfor %}
        bool_or(site = 'bone' and extent = 'diffuse') as met_bone_diffuse
    from baseline
    group by patient_id
)

select
    p.patient_id,
    {%- for col in ['bone', 'bone_diffuse', 'lymph_node', 'liver', 'lung', 'brain', 'spinal', 'other_visceral',
                    'other'] %}
    coalesce(v.met_{{ col }}, false) as met_{{ col }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('int_patients_indexed') }} as p
left join pivoted as v on v.patient_id = p.patient_id
