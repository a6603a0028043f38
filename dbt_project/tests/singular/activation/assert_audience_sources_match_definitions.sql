{#- Every audience of seed audience_definitions has a member source in
    activation_audience_sources() with the same model, and every source has a seed row: a
    marketer's new seed row without SQL behind it, or a source nobody described, fails here. -#}
{%- set sources = activation_audience_sources() %}

with code_sources as (

    {%- for code, source in sources.items() %}
    select '{{ code }}' as audience_code, '{{ source["model"] }}' as source_model
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}

)

select coalesce(d.audience_code, s.audience_code) as audience_code,
    d.source_model as seed_source_model, s.source_model as macro_source_model
from {{ ref('audience_definitions') }} as d
full outer join code_sources as s on s.audience_code = d.audience_code
where d.audience_code is null or s.audience_code is null or d.source_model <> s.source_model
