{#- Counts region values that staging could not map to a province (region_code left NULL, row
    kept). Warn only: add the spelling to seeds/region_aliases.csv if it is a real province.
    Region values are not personal data (province / city level). -#}
{{ config(severity='warn') }}

{%- set region_sources = [('shop', 'orders'), ('membership', 'members'), ('logistics', 'shipments')] %}

{%- for src, ent in region_sources %}
select
    '{{ src }}/{{ ent }}' as entity,
    r.region as unmapped_region,
    count(*) as raw_rows
from {{ source(src, ent) }} as r
left join ({{ region_lookup() }}) as reg
    on reg.alias_key = {{ region_key(clean_text('r.region')) }}
where {{ clean_text('r.region') }} is not null
  and reg.region_code is null
group by r.region
{% if not loop.last %}union all{% endif %}
{%- endfor %}

{#- Shown in Dagster as an asset check on stg_membership__members (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'stg_membership__members'}}}) }}
