{#- Over-merge guard, rules in seeds/identity_rules.csv. Two kinds of rule:
      * linked_id_type is an identifier type: the identifier is directly linked to more distinct
        identifiers of that type than one person plausibly has (a demo tablet with many app
        accounts, a phone typed at the till for many member cards);
      * linked_id_type = pos_receipts_per_month: the identifier is on more POS receipts in one
        calendar month than one shopper plausibly makes (a store counter phone keyed into
        anonymous receipts links nothing, but would otherwise become a super-customer).
    An excluded identifier links nothing and resolves to no customer. One row per excluded
    identifier, with its most violated rule (highest count / threshold) as the reason. -#}

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

receipt_volume as (

    select id_type, id_value, max(receipt_count) as distinct_linked_count
    from (
        select 'phone_hash' as id_type, phone_hash as id_value,
               {{ dbt.date_trunc('month', 'receipted_at') }} as receipt_month,
               count(distinct receipt_id) as receipt_count
        from {{ ref('stg_pos__receipts') }}
        where phone_hash is not null
        group by phone_hash, {{ dbt.date_trunc('month', 'receipted_at') }}
        union all
        select 'card_no', member_card_no,
               {{ dbt.date_trunc('month', 'receipted_at') }},
               count(distinct receipt_id)
        from {{ ref('stg_pos__receipts') }}
        where member_card_no is not null
        group by member_card_no, {{ dbt.date_trunc('month', 'receipted_at') }}
    ) as monthly
    group by id_type, id_value

),

measures as (

    select identifier_key, id_type, id_value, linked_id_type, distinct_linked_count
    from counts
    union all
    select id_type || ':' || id_value, id_type, id_value, 'pos_receipts_per_month',
           distinct_linked_count
    from receipt_volume

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
    from measures as c
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
