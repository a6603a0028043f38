{#- One row per (audience in audience_definitions, snapshot_date): the version of the audience
    a run produced. version_number counts the audience's snapshot dates so far (a re-run of the
    same date keeps its number); member, holdout and treatment counts; adds and removes against
    the previous version; the definition in force (source model, channel, holdout share, text)
    and definition_hash, which changes when any of them changes. Incremental per snapshot_date
    like audience_snapshots. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=replace_rows_strategy(),
    unique_key='snapshot_date',
    partition_by=replace_rows_partition_by('snapshot_date'),
    on_schema_change='append_new_columns'
) }}

with run_date as (

    select {{ segmentation_as_of_date() }} as snapshot_date

),

members as (

    select
        audience_code,
        count(distinct customer_id) as customers,
        count(*) as member_offers,
        count(distinct case when is_holdout then customer_id end) as holdout_customers,
        count(distinct case when not is_holdout then customer_id end) as treatment_customers
    from {{ ref('audience_members') }}
    group by audience_code

),

changes as (

    select
        ac.audience_code,
        sum(case when ac.change_type = 'add' then 1 else 0 end) as added_offers,
        sum(case when ac.change_type = 'remove' then 1 else 0 end) as removed_offers
    from {{ ref('audience_changes') }} as ac
    where ac.snapshot_date = (select r.snapshot_date from run_date as r)
    group by ac.audience_code

),

earlier_versions as (

    {% if is_incremental() -%}
    select v.audience_code, count(*) as versions
    from {{ this }} as v
    where v.snapshot_date < (select snapshot_date from run_date)
    group by v.audience_code
    {%- else -%}
    select cast(null as {{ dbt.type_string() }}) as audience_code, 0 as versions
    where 1 = 0
    {%- endif %}

)

select
    cast(d.audience_code as {{ dbt.type_string() }}) as audience_code,
    cast(r.snapshot_date as date) as snapshot_date,
    cast(coalesce(e.versions, 0) + 1 as integer) as version_number,
    cast(coalesce(m.customers, 0) as bigint) as member_customers,
    cast(coalesce(m.member_offers, 0) as bigint) as member_offers,
    cast(coalesce(m.holdout_customers, 0) as bigint) as holdout_customers,
    cast(coalesce(m.treatment_customers, 0) as bigint) as treatment_customers,
    cast(coalesce(c.added_offers, 0) as bigint) as added_offers,
    cast(coalesce(c.removed_offers, 0) as bigint) as removed_offers,
    cast(d.source_model as {{ dbt.type_string() }}) as source_model,
    cast(d.channel as {{ dbt.type_string() }}) as channel,
    cast(d.holdout_percent as integer) as holdout_percent,
    cast(d.description_en as {{ dbt.type_string() }}) as description_en,
    cast(d.description_zh as {{ dbt.type_string() }}) as description_zh,
    {%- set definition_text -%}
        d.source_model || '|' || d.channel || '|' || cast(d.holdout_percent as {{ dbt.type_string() }})
        || '|' || coalesce(d.description_en, '') || '|' || coalesce(d.description_zh, '')
    {%- endset %}
    cast({{ dbt.hash(definition_text) }} as {{ dbt.type_string() }}) as definition_hash
from {{ ref('audience_definitions') }} as d
cross join run_date as r
left join members as m on m.audience_code = d.audience_code
left join changes as c on c.audience_code = d.audience_code
left join earlier_versions as e on e.audience_code = d.audience_code
