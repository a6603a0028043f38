{#- The order receiver phone as evidence of the ordering account's own phone, guarded against
    gifts. Most orders ship to the buyer's own phone, but a gift ships to somebody else's, and one
    wrong user_id ~ phone link merges two whole people. So a (user_id, receiver phone) pair is
    accepted only when the relation is one-to-one and the phone is nobody else's:
      * no other account ships to the phone (seed identity_rules: phone_hash /
        order_receiver_user_ids, default 1): a phone several accounts ship to is a gift receiver
        or a pick-up point;
      * the account ships to no other phone (user_id / order_receiver_phones, default 1): an
        account that ships to several phones sends gifts, and which phone is its own is unknown;
      * the phone is not on a member record of another account (a member record whose user_id is
        another account or empty): that is somebody else's phone, however one-to-one the orders.
    Receiver phones come from the order and from its shipments (the carrier's receiver phone).
    One row per order whose receiver phone is accepted: order_id, user_id, phone_hash,
    ordered_at, _loaded_at (earliest landing of the order or a shipment of it). A rejected
    receiver phone stays an order attribute: it is no identifier and links nothing. -#}

with receivers as (

    select order_id, user_id, receiver_phone_hash as phone_hash, ordered_at, _loaded_at
    from {{ ref('stg_shop__orders') }}
    where user_id is not null and receiver_phone_hash is not null

    union all
    select s.order_id, o.user_id, s.receiver_phone_hash, o.ordered_at, s._loaded_at
    from {{ ref('stg_logistics__shipments') }} as s
    inner join {{ ref('stg_shop__orders') }} as o on o.order_id = s.order_id
    where o.user_id is not null and s.receiver_phone_hash is not null

),

limits as (

    select
        coalesce(max(case when id_type = 'phone_hash' and linked_id_type = 'order_receiver_user_ids'
                          then max_distinct_linked end), 1) as max_users_per_phone,
        coalesce(max(case when id_type = 'user_id' and linked_id_type = 'order_receiver_phones'
                          then max_distinct_linked end), 1) as max_phones_per_user
    from {{ ref('identity_rules') }}

),

users_per_phone as (

    select phone_hash, count(distinct user_id) as user_count
    from receivers
    group by phone_hash

),

phones_per_user as (

    select user_id, count(distinct phone_hash) as phone_count
    from receivers
    group by user_id

),

member_phones as (

    select distinct phone_hash, user_id
    from {{ ref('stg_membership__members') }}
    where phone_hash is not null

),

accepted as (

    select distinct r.user_id, r.phone_hash
    from receivers as r
    cross join limits as l
    inner join users_per_phone as up on up.phone_hash = r.phone_hash
    inner join phones_per_user as pu on pu.user_id = r.user_id
    where up.user_count <= l.max_users_per_phone
        and pu.phone_count <= l.max_phones_per_user
        and not exists (
            select 1
            from member_phones as m
            where m.phone_hash = r.phone_hash
                and (m.user_id is null or m.user_id <> r.user_id)
        )

)

select
    r.order_id,
    r.user_id,
    r.phone_hash,
    min(r.ordered_at) as ordered_at,
    min(r._loaded_at) as _loaded_at
from receivers as r
inner join accepted as a on a.user_id = r.user_id and a.phone_hash = r.phone_hash
group by r.order_id, r.user_id, r.phone_hash
