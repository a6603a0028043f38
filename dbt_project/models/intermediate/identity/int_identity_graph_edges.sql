{#- The graph the connected components run on: every non-excluded identifier as a node, with a
    self loop, plus both directions of every link whose two ends are not excluded.
    One row per (identifier_key, neighbour_key). -#}

with excluded as (

    select identifier_key from {{ ref('int_identity_guard') }}

),

nodes as (

    select distinct o.identifier_key
    from {{ ref('int_identity_observations') }} as o
    left join excluded as x on x.identifier_key = o.identifier_key
    where x.identifier_key is null

),

usable_links as (

    select l.identifier_key_a, l.identifier_key_b
    from {{ ref('int_identity_links') }} as l
    left join excluded as xa on xa.identifier_key = l.identifier_key_a
    left join excluded as xb on xb.identifier_key = l.identifier_key_b
    where xa.identifier_key is null and xb.identifier_key is null

)

select identifier_key, identifier_key as neighbour_key from nodes
union all
select identifier_key_a, identifier_key_b from usable_links
union all
select identifier_key_b, identifier_key_a from usable_links
