{#- One row per order: online shop orders and offline POS receipts.
    customer_id: online via the resolved user_id; offline via the resolved member card, else the
    resolved phone; NULL for anonymous receipts (no card, no phone, or only excluded identifiers
    such as a store counter phone). order_date is the local date in var reporting_timezone
    (default Asia/Shanghai) of ordered_at (UTC), whatever the store's own zone. -#}

with resolved as (

    select identifier_key, customer_id from {{ ref('int_identifiers_resolved') }}

),

online as (

    select
        o.order_id,
        r.customer_id,
        'online' as order_channel,
        o.channel as sales_channel,
        cast(null as {{ dbt.type_string() }}) as store_id,
        o.platform as device_platform,
        o.status,
        o.ordered_at,
        o.gross_amount_cny,
        o.discount_cny,
        o.shipping_fee_cny,
        o.paid_amount_cny,
        o.refunded_amount_cny,
        o.net_amount_cny,
        o.item_count,
        o.is_fully_refunded,
        o.has_discount
    from {{ ref('int_online_orders') }} as o
    left join resolved as r on r.identifier_key = 'user_id:' || o.user_id

),

offline as (

    select
        o.order_id,
        coalesce(rc.customer_id, rp.customer_id) as customer_id,
        'offline' as order_channel,
        'store' as sales_channel,
        o.store_id,
        cast(null as {{ dbt.type_string() }}) as device_platform,
        'paid' as status,
        o.ordered_at,
        o.gross_amount_cny,
        o.discount_cny,
        o.shipping_fee_cny,
        o.paid_amount_cny,
        o.refunded_amount_cny,
        o.net_amount_cny,
        o.item_count,
        false as is_fully_refunded,
        o.has_discount
    from {{ ref('int_offline_orders') }} as o
    left join resolved as rc on rc.identifier_key = 'card_no:' || o.member_card_no
    left join resolved as rp on rp.identifier_key = 'phone_hash:' || o.phone_hash

),

unioned as (

    select * from online
    union all
    select * from offline

)

select
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(order_channel as {{ dbt.type_string() }}) as order_channel,
    cast(sales_channel as {{ dbt.type_string() }}) as sales_channel,
    cast(store_id as {{ dbt.type_string() }}) as store_id,
    cast(device_platform as {{ dbt.type_string() }}) as device_platform,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(ordered_at as timestamp) as ordered_at,
    {{ cm_local_date('ordered_at') }} as order_date,
    cast(gross_amount_cny as decimal(18, 2)) as gross_amount_cny,
    cast(discount_cny as decimal(18, 2)) as discount_cny,
    cast(shipping_fee_cny as decimal(18, 2)) as shipping_fee_cny,
    cast(paid_amount_cny as decimal(18, 2)) as paid_amount_cny,
    cast(refunded_amount_cny as decimal(18, 2)) as refunded_amount_cny,
    cast(net_amount_cny as decimal(18, 2)) as net_amount_cny,
    cast(item_count as integer) as item_count,
    cast(is_fully_refunded as boolean) as is_fully_refunded,
    cast(has_discount as boolean) as has_discount
from unioned
