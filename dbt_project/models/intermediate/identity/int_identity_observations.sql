{#- Every identifier the lakehouse has seen, per source: one row per (identifier_key, source).
    Only sources that prove a person was present are read (app, shop orders, membership, POS
    receipts and assistant interactions). Social tags are attributes matched on an already-known
    phone and never create identifiers. An order receiver phone (order or shipment) is an
    identifier only where int_identity_receiver_phones accepts it as the ordering account's own
    phone (source order_receiver); any other receiver phone (gifts: somebody else's) is not. -#}

with observations as (

    select 'user_id' as id_type, user_id as id_value, 'app_event' as source,
           first_event_at as first_observed_at, last_event_at as last_observed_at,
           first_loaded_at, event_count as observation_count
    from {{ ref('int_app_identifier_sets') }}
    where user_id is not null

    union all
    select 'device_id', device_id, 'app_event', first_event_at, last_event_at, first_loaded_at,
           event_count
    from {{ ref('int_app_identifier_sets') }}
    where device_id is not null

    union all
    select 'openid', openid, 'app_event', first_event_at, last_event_at, first_loaded_at,
           event_count
    from {{ ref('int_app_identifier_sets') }}
    where openid is not null

    union all
    select 'user_id', user_id, 'shop_order', ordered_at,
           ordered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_shop__orders') }}
    where user_id is not null

    union all
    select 'device_id', device_id, 'shop_order', ordered_at,
           ordered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_shop__orders') }}
    where device_id is not null

    union all
    select 'phone_hash', phone_hash, 'order_receiver', ordered_at,
           ordered_at as last_observed_at, _loaded_at, 1
    from {{ ref('int_identity_receiver_phones') }}

    union all
    select 'member_id', member_id, 'member_record', registered_at,
           registered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_membership__members') }}
    where member_id is not null

    union all
    select 'card_no', card_no, 'member_record', registered_at,
           registered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_membership__members') }}
    where card_no is not null

    union all
    select 'user_id', user_id, 'member_record', registered_at,
           registered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_membership__members') }}
    where user_id is not null

    union all
    select 'phone_hash', phone_hash, 'member_record', registered_at,
           registered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_membership__members') }}
    where phone_hash is not null

    union all
    select 'email_hash', email_hash, 'member_record', registered_at,
           registered_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_membership__members') }}
    where email_hash is not null

    union all
    select 'card_no', member_card_no, 'pos_receipt', receipted_at,
           receipted_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_pos__receipts') }}
    where member_card_no is not null

    union all
    select 'phone_hash', phone_hash, 'pos_receipt', receipted_at,
           receipted_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_pos__receipts') }}
    where phone_hash is not null

    union all
    select 'card_no', member_card_no, 'pos_interaction', interacted_at,
           interacted_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_pos__assistant_interactions') }}
    where member_card_no is not null

    union all
    select 'phone_hash', phone_hash, 'pos_interaction', interacted_at,
           interacted_at as last_observed_at, _loaded_at, 1
    from {{ ref('stg_pos__assistant_interactions') }}
    where phone_hash is not null

)

select
    id_type || ':' || id_value as identifier_key,
    id_type,
    id_value,
    source,
    min(first_observed_at) as first_seen_at,
    max(last_observed_at) as last_seen_at,
    min(first_loaded_at) as first_loaded_at,
    cast(sum(observation_count) as bigint) as observation_count
from observations
group by id_type, id_value, source
