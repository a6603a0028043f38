{#- Online orders with line totals and refunds. One row per order_id.
    Amounts come from the lines when the order has lines (so fct_order_lines sums exactly to
    fct_orders), otherwise from the order header (items - discount - coupon, minus completed
    refunds, floored at 0). Cancelled orders: paid, goods, net and refunded amounts are 0. -#}

with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

lines as (

    select
        order_id,
        sum(gross_amount_cny) as gross_amount_cny,
        sum(goods_value_cny) as goods_value_cny,
        sum(refunded_amount_cny) as refunded_amount_cny,
        sum(net_amount_cny) as net_amount_cny,
        sum(quantity) as item_count
    from {{ ref('int_online_order_lines') }}
    group by order_id

),

refunds as (

    select order_id, sum(amount_cny) as refund_cny
    from {{ ref('stg_shop__refunds') }}
    where completed_at is not null and amount_cny > 0
    group by order_id

),

header_values as (

    select
        o.*,
        case when o.status = 'paid'
             then o.items_amount_cny - coalesce(o.discount_cny, 0) - coalesce(o.coupon_cny, 0)
             else 0 end as header_goods_value_cny
    from orders as o

),

combined as (

    select
        h.order_id,
        h.user_id,
        h.device_id,
        h.status,
        h.channel,
        h.platform,
        h.ordered_at,
        coalesce(l.gross_amount_cny, h.items_amount_cny) as gross_amount_cny,
        coalesce(h.discount_cny, 0) + coalesce(h.coupon_cny, 0) as discount_cny,
        coalesce(h.shipping_fee_cny, 0) as shipping_fee_cny,
        case when h.status = 'paid' then h.pay_amount_cny else 0 end as paid_amount_cny,
        case when l.order_id is not null then l.goods_value_cny
             when h.header_goods_value_cny > 0 then h.header_goods_value_cny
             else 0 end as goods_value_cny,
        l.order_id is not null as has_lines,
        l.refunded_amount_cny as line_refunded_cny,
        l.net_amount_cny as line_net_cny,
        coalesce(l.item_count, 0) as item_count,
        coalesce(r.refund_cny, 0) as completed_refund_cny
    from header_values as h
    left join lines as l on l.order_id = h.order_id
    left join refunds as r on r.order_id = h.order_id

),

amounts as (

    select
        *,
        case when has_lines then line_refunded_cny
             when completed_refund_cny > goods_value_cny then goods_value_cny
             else completed_refund_cny end as refunded_amount_cny
    from combined

)

select
    order_id,
    user_id,
    device_id,
    status,
    channel,
    platform,
    ordered_at,
    cast(gross_amount_cny as decimal(18, 2)) as gross_amount_cny,
    cast(discount_cny as decimal(18, 2)) as discount_cny,
    cast(shipping_fee_cny as decimal(18, 2)) as shipping_fee_cny,
    cast(paid_amount_cny as decimal(18, 2)) as paid_amount_cny,
    cast(refunded_amount_cny as decimal(18, 2)) as refunded_amount_cny,
    cast(case when has_lines then line_net_cny else goods_value_cny - refunded_amount_cny end
         as decimal(18, 2)) as net_amount_cny,
    cast(item_count as integer) as item_count,
    (status = 'paid' and completed_refund_cny > 0
        and (case when has_lines then line_net_cny else goods_value_cny - refunded_amount_cny end) <= 0
    ) as is_fully_refunded,
    discount_cny > 0 as has_discount
from amounts
