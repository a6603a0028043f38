{#- One row per resolved customer (every identity cluster, including app visitors who never
    bought: filter on order_count for buyers). Rules per column are in _core__models.yml.
    Order counts and spend use counted purchases: status paid and not fully refunded. -#}

with identifiers as (

    select customer_id, id_type, id_value, first_seen_at
    from {{ ref('int_identifiers_resolved') }}

),

customers as (

    select
        customer_id,
        min(first_seen_at) as first_seen_at,
        min(case when id_type = 'user_id' then first_seen_at end) as app_first_seen_at
    from identifiers
    group by customer_id

),

members as (

    select
        i.customer_id,
        m.member_id,
        m.registered_at,
        m.register_channel,
        m.register_store_id,
        g.gender,
        g.is_gender_imputed,
        row_number() over (
            partition by i.customer_id
            order by case when g.gender is null then 1 else 0 end,
                     case when g.is_gender_imputed then 1 else 0 end,
                     m.registered_at, m.member_id
        ) as member_rank,
        min(m.registered_at) over (partition by i.customer_id) as first_registered_at,
        first_value(m.register_channel) over (
            partition by i.customer_id order by m.registered_at, m.member_id
            rows between unbounded preceding and unbounded following
        ) as first_register_channel
    from identifiers as i
    inner join {{ ref('stg_membership__members') }} as m
        on i.id_type = 'member_id' and m.member_id = i.id_value
    left join {{ ref('int_members_gender_imputed') }} as g on g.member_id = m.member_id

),

primary_member as (

    select * from members
    where member_rank = 1

),

sessions as (

    -- one row per app session of the customer (events without session_id count alone)
    select
        customer_id,
        coalesce(session_id, event_id) as session_key,
        min(event_at) as session_start_at,
        min(channel) as channel,
        min(platform) as platform
    from {{ ref('int_app_events_resolved') }}
    group by customer_id, coalesce(session_id, event_id)

),

channel_rank as (

    -- tracking tags a session with the visitor's acquisition channel, with some noise: take the
    -- channel of most sessions, ties broken by the earliest session
    select
        customer_id,
        channel,
        row_number() over (
            partition by customer_id order by count(*) desc, min(session_start_at), channel
        ) as channel_rank
    from sessions
    where channel is not null
    group by customer_id, channel

),

platform_rank as (

    select
        customer_id,
        platform,
        row_number() over (
            partition by customer_id order by count(*) desc, min(session_start_at), platform
        ) as platform_rank
    from sessions
    where platform is not null
    group by customer_id, platform

),

orders as (

    select
        customer_id,
        count(*) as order_count,
        sum(case when order_channel = 'online' then 1 else 0 end) as online_order_count,
        sum(case when order_channel = 'offline' then 1 else 0 end) as offline_order_count,
        sum(net_amount_cny) as net_spend_cny,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from {{ ref('fct_orders') }}
    where customer_id is not null
        and status = 'paid'
        and not is_fully_refunded
    group by customer_id

),

first_order as (

    select customer_id, order_channel, device_platform
    from (
        select
            customer_id, order_channel, device_platform,
            row_number() over (partition by customer_id order by ordered_at, order_id) as order_rank
        from {{ ref('fct_orders') }}
        where customer_id is not null
    ) as o
    where order_rank = 1

)

select
    cast(c.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(coalesce(pm.first_registered_at, c.app_first_seen_at) as timestamp) as registered_at,
    cast(c.first_seen_at as timestamp) as first_seen_at,
    cast(o.first_order_at as timestamp) as first_order_at,
    cast(o.last_order_at as timestamp) as last_order_at,
    cast(o.first_order_date as date) as first_order_date,
    cast(o.last_order_date as date) as last_order_date,
    cast(coalesce(
        fe.channel,
        case pm.first_register_channel
            when 'douyin' then 'douyin'
            when 'official_site' then 'official_site'
            when 'miniprogram' then 'wechat_mp'
            when 'app' then 'app_store'
            when 'store' then 'offline'
        end,
        case when fo.order_channel = 'offline' or pm.register_store_id is not null then 'offline' end
    ) as {{ dbt.type_string() }}) as acquisition_channel,
    cast(coalesce(fp.platform, fo.device_platform) as {{ dbt.type_string() }}) as acquisition_platform,
    cast(pm.member_id as {{ dbt.type_string() }}) as member_id,
    cast(pm.member_id is not null as boolean) as is_member,
    cast(pm.gender as {{ dbt.type_string() }}) as gender,
    cast(coalesce(pm.is_gender_imputed, false) as boolean) as is_gender_imputed,
    cast(coalesce(o.order_count, 0) as integer) as order_count,
    cast(coalesce(o.online_order_count, 0) as integer) as online_order_count,
    cast(coalesce(o.offline_order_count, 0) as integer) as offline_order_count,
    cast(case when o.order_count > 0 then o.online_order_count * 1.0 / o.order_count end as double)
        as online_share,
    cast(coalesce(o.net_spend_cny, 0) as decimal(18, 2)) as net_spend_cny
from customers as c
left join primary_member as pm on pm.customer_id = c.customer_id
left join channel_rank as fe on fe.customer_id = c.customer_id and fe.channel_rank = 1
left join platform_rank as fp on fp.customer_id = c.customer_id and fp.platform_rank = 1
left join orders as o on o.customer_id = c.customer_id
left join first_order as fo on fo.customer_id = c.customer_id
