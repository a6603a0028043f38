{#- One row per non-excluded identifier with the customer it resolves to.

    Stable customer_id = md5(anchor identifier_key). A cluster's anchor is, in this order:
      1. an identifier that was an anchor in the previous build of this model (sticky ids: the
         model reads its own previous state, {{ this }}, before replacing it). When a merge puts
         several previous anchors in one cluster, the earliest seen (then smallest key) survives;
      2. otherwise (a new cluster, or a part split off without the old anchor) the identifier the
         lakehouse saw first: earliest first_loaded_at (when its file landed), then earliest
         first_seen_at (event time), then the smallest identifier_key.
    So new or re-sent data never changes an existing customer's id: only a merge (the younger
    anchor retires) or a split (the part without the anchor gets a new id) does, and
    identity_change_log records both. var identity_sticky_ids=false ignores the previous state
    (unit tests; a deliberate re-keying). Excluded identifiers (int_identity_guard) are not in
    this model: they resolve to no customer. -#}

{{ config(pre_hook=[
    "{{ previous_state_drop_sql() }}",
    "{{ previous_state_copy_sql(['anchor_identifier_key']) }}",
]) }}

{%- set previous = none -%}
{%- if execute and var('identity_sticky_ids', true) -%}
    {%- set existing = adapter.get_relation(
        database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if existing is not none -%}
        {%- set existing_columns = adapter.get_columns_in_relation(existing)
            | map(attribute='name') | map('lower') | list -%}
        {%- if 'anchor_identifier_key' in existing_columns -%}
            {%- set previous = existing -%}
        {%- endif -%}
    {%- endif -%}
{%- endif %}

with identifiers as (

    select
        identifier_key,
        min(id_type) as id_type,
        min(id_value) as id_value,
        min(first_seen_at) as first_seen_at,
        min(first_loaded_at) as first_loaded_at
    from {{ ref('int_identity_observations') }}
    group by identifier_key

),

previous_anchors as (

    {% if previous is not none %}
    select distinct anchor_identifier_key as identifier_key from {{ previous_state_relation() }}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as identifier_key
    where 1 = 0
    {% endif %}

),

clustered as (

    select
        i.identifier_key,
        i.id_type,
        i.id_value,
        i.first_seen_at,
        i.first_loaded_at,
        c.component_label,
        row_number() over (
            partition by c.component_label
            order by
                case when pa.identifier_key is not null then 0 else 1 end,
                case when pa.identifier_key is not null then i.first_seen_at end,
                i.first_loaded_at,
                i.first_seen_at,
                i.identifier_key
        ) as anchor_rank
    from identifiers as i
    inner join {{ ref('int_identity_components') }} as c
        on c.identifier_key = i.identifier_key
    left join previous_anchors as pa on pa.identifier_key = i.identifier_key

),

anchors as (

    select component_label, identifier_key as anchor_identifier_key
    from clustered
    where anchor_rank = 1

)

select
    c.identifier_key,
    c.id_type,
    c.id_value,
    {{ dbt.hash('a.anchor_identifier_key') }} as customer_id,
    a.anchor_identifier_key,
    c.first_seen_at,
    c.first_loaded_at
from clustered as c
inner join anchors as a on a.component_label = c.component_label
