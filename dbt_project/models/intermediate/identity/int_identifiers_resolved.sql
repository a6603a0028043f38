{#- One row per non-excluded identifier with the customer it resolves to.

    Stable customer_id: every cluster (connected component) has an anchor, its identifier that the
    lakehouse saw first: earliest first_loaded_at (when the file carrying it landed), then earliest
    first_seen_at (event time), then the smallest identifier_key. customer_id = md5(anchor key).
    New data lands later than existing data, so it can never displace an existing cluster's anchor:
    a customer_id changes only when two clusters merge (the younger anchor's id retires) or a
    cluster splits (the part without the anchor gets its own id); identity_change_log records both.
    Excluded identifiers (int_identity_guard) are not in this model: they resolve to no customer. -#}

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
            order by i.first_loaded_at, i.first_seen_at, i.identifier_key
        ) as anchor_rank
    from identifiers as i
    inner join {{ ref('int_identity_components') }} as c
        on c.identifier_key = i.identifier_key

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
