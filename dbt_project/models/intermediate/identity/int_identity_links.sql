{#- Co-occurrence evidence between two identifiers: one row per unordered pair, stored once with
    identifier_key_a < identifier_key_b. `evidence` lists the rules that saw the pair together
    (sorted, comma separated), evidence_count the number of records. Rules:
      app_event        user_id ~ device_id, user_id ~ openid, device_id ~ openid (same event)
      shop_order       user_id ~ device_id (the order was placed from that device)
      order_receiver   user_id ~ phone_hash (the order's or its shipment's receiver phone, only
                       where int_identity_receiver_phones accepts it as the account's own phone:
                       one-to-one and no other member's phone)
      member_record    member_id ~ card_no / user_id / phone_hash / email_hash
      pos_receipt      card_no ~ phone_hash (card presented and phone given at the till)
      pos_interaction  card_no ~ phone_hash (assistant interaction)
    Not evidence: any other receiver phone (gifts) and social tags (partner attribute).
    The over-merge guard is applied downstream (int_identity_guard): this model keeps every pair. -#}

with pairs as (

    select 'user_id' as type_1, user_id as value_1, 'device_id' as type_2, device_id as value_2,
           'app_event' as rule, event_count as record_count
    from {{ ref('int_app_identifier_sets') }}
    where user_id is not null and device_id is not null

    union all
    select 'user_id', user_id, 'openid', openid, 'app_event', event_count
    from {{ ref('int_app_identifier_sets') }}
    where user_id is not null and openid is not null

    union all
    select 'device_id', device_id, 'openid', openid, 'app_event', event_count
    from {{ ref('int_app_identifier_sets') }}
    where device_id is not null and openid is not null

    union all
    select 'user_id', user_id, 'device_id', device_id, 'shop_order', 1
    from {{ ref('stg_shop__orders') }}
    where user_id is not null and device_id is not null

    union all
    select 'user_id', user_id, 'phone_hash', phone_hash, 'order_receiver', 1
    from {{ ref('int_identity_receiver_phones') }}

    union all
    select 'member_id', member_id, 'card_no', card_no, 'member_record', 1
    from {{ ref('stg_membership__members') }}
    where member_id is not null and card_no is not null

    union all
    select 'member_id', member_id, 'user_id', user_id, 'member_record', 1
    from {{ ref('stg_membership__members') }}
    where member_id is not null and user_id is not null

    union all
    select 'member_id', member_id, 'phone_hash', phone_hash, 'member_record', 1
    from {{ ref('stg_membership__members') }}
    where member_id is not null and phone_hash is not null

    union all
    select 'member_id', member_id, 'email_hash', email_hash, 'member_record', 1
    from {{ ref('stg_membership__members') }}
    where member_id is not null and email_hash is not null

    union all
    select 'card_no', member_card_no, 'phone_hash', phone_hash, 'pos_receipt', 1
    from {{ ref('stg_pos__receipts') }}
    where member_card_no is not null and phone_hash is not null

    union all
    select 'card_no', member_card_no, 'phone_hash', phone_hash, 'pos_interaction', 1
    from {{ ref('stg_pos__assistant_interactions') }}
    where member_card_no is not null and phone_hash is not null

),

keyed as (

    select
        type_1 || ':' || value_1 as key_1,
        type_1,
        value_1,
        type_2 || ':' || value_2 as key_2,
        type_2,
        value_2,
        rule,
        record_count
    from pairs

),

oriented as (

    select
        case when key_1 < key_2 then key_1 else key_2 end as identifier_key_a,
        case when key_1 < key_2 then type_1 else type_2 end as id_type_a,
        case when key_1 < key_2 then value_1 else value_2 end as id_value_a,
        case when key_1 < key_2 then key_2 else key_1 end as identifier_key_b,
        case when key_1 < key_2 then type_2 else type_1 end as id_type_b,
        case when key_1 < key_2 then value_2 else value_1 end as id_value_b,
        rule,
        record_count
    from keyed
    -- key_1 <> key_2 without building the keys of every row first
    where value_1 is not null and value_2 is not null and (type_1 <> type_2 or value_1 <> value_2)

)

{#- The rules above, sorted: evidence lists the ones that saw the pair. A rule added above but
    not here makes evidence NULL, which its not_null test reports. -#}
{%- set rules = ['app_event', 'member_record', 'order_receiver', 'pos_interaction', 'pos_receipt', 'shop_order'] %}

-- one group-by on the two keys (type and value follow from the key); evidence built from the
-- known rules rather than an ordered string aggregate over six grouping columns
select
    identifier_key_a,
    min(id_type_a) as id_type_a,
    min(id_value_a) as id_value_a,
    identifier_key_b,
    min(id_type_b) as id_type_b,
    min(id_value_b) as id_value_b,
    case
        when max(case when rule in (
                '{{ rules | join("', '") }}'
            ) then 0 else 1 end) = 0
        then concat_ws(','
        {%- for rule in rules | sort %},
            max(case when rule = '{{ rule }}' then '{{ rule }}' end)
        {%- endfor %})
    end as evidence,
    cast(sum(record_count) as integer) as evidence_count
from oriented
group by identifier_key_a, identifier_key_b
