{#- Over-merge guard. An identifier directly linked to more distinct identifiers of one type than
    seeds/identity_rules.csv allows (e.g. a store counter phone typed in for many member cards, a
    demo tablet with many app accounts) is excluded: all its links are dropped and it resolves to
    no customer. One row per excluded identifier, with the most violated rule as the reason. -#}

with directed as (

    select identifier_key_a as identifier_key, id_type_a as id_type, id_value_a as id_value,
           id_type_b as linked_id_type, identifier_key_b as linked_key
    from {{ ref('int_identity_links') }}
    union all
    select identifier_key_b, id_type_b, id_value_b, id_type_a, identifier_key_a
    from {{ ref('int_identity_links') }}

),

counts as (

    select identifier_key, id_type, id_value, linked_id_type,
           count(distinct linked_key) as distinct_linked_count
    from directed
    group by identifier_key, id_type, id_value, linked_id_type

),

violations as (

    select
        c.identifier_key,
        c.id_type,
        c.id_value,
        c.linked_id_type,
        cast(c.distinct_linked_count as integer) as distinct_linked_count,
        cast(r.max_distinct_linked as integer) as max_distinct_linked,
        row_number() over (
            partition by c.identifier_key
            order by c.distinct_linked_count * 1.0 / r.max_distinct_linked desc, c.linked_id_type
        ) as violation_rank
    from counts as c
    inner join {{ ref('identity_rules') }} as r
        on r.id_type = c.id_type
        and r.linked_id_type = c.linked_id_type
    where c.distinct_linked_count > r.max_distinct_linked

)

select
    identifier_key,
    id_type,
    id_value,
    linked_id_type,
    distinct_linked_count,
    max_distinct_linked,
    'linked to ' || cast(distinct_linked_count as {{ dbt.type_string() }}) || ' distinct '
        || linked_id_type || ' (max ' || cast(max_distinct_linked as {{ dbt.type_string() }})
        || ', seed identity_rules)' as reason
from violations
where violation_rank = 1
