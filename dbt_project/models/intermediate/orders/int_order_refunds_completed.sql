{#- Completed refunds of online orders per local completion date: one row per
    (order_id, refund_completed_date), for point-in-time views of refunds (segmentation history).

    refund_completed_date: local date (var reporting_timezone, like fct_orders.order_date) of the
    refund's completed_at. Only completed refunds with a positive amount count, as everywhere.

    refunded_amount_cny: by how much the order's refunded amount grew on that date. The order's
    refunded amount "as of" a date D is computed EXACTLY as int_online_order_lines and
    int_online_orders compute refunded_amount_cny (same sku / whole-order allocation over lines,
    same per-line cap and rounding, same "refunds reach the goods value -> every line fully
    refunded" rule, same header fallback capped at the goods value for orders without lines),
    but with only the refunds completed on or before D. Cumulative amounts never decrease, so
    summed over all dates refunded_amount_cny equals fct_orders.refunded_amount_cny (singular test
    tests/singular/segmentation/assert_order_refunds_completed_reconcile_with_fct_orders.sql).
    cumulative_refunded_amount_cny: the order's refunded amount as of refund_completed_date.
    completed_refund_cny: the raw amounts completed that date (before allocation and caps): the
    "completed refunds > 0" condition of fct_orders.is_fully_refunded.

    Net amount of an order as of D = (fct_orders.net_amount_cny + fct_orders.refunded_amount_cny)
    - sum(refunded_amount_cny where refund_completed_date <= D). Keep in sync with
    int_online_order_lines / int_online_orders: the reconciliation test fails on any drift. -#}

with orders as (

    select
        order_id,
        status,
        case when status = 'paid'
             then items_amount_cny - coalesce(discount_cny, 0) - coalesce(coupon_cny, 0)
             else 0 end as header_goods_value_cny
    from {{ ref('stg_shop__orders') }}

),

items as (

    -- as int_online_order_lines.items
    select
        i.order_item_id,
        i.order_id,
        i.sku,
        case
            when o.status = 'paid' then
                case when i.net_amount_cny > 0 then i.net_amount_cny else 0 end
            else 0
        end as goods_value_cny
    from {{ ref('stg_shop__order_items') }} as i
    inner join {{ ref('stg_shop__orders') }} as o on o.order_id = i.order_id

),

completed_refunds as (

    select
        r.order_id,
        r.sku,
        r.amount_cny,
        {{ cm_local_date('r.completed_at') }} as refund_completed_date
    from {{ ref('stg_shop__refunds') }} as r
    inner join orders as o on o.order_id = r.order_id
    where r.completed_at is not null and r.amount_cny > 0

),

refund_dates as (

    select order_id, refund_completed_date, sum(amount_cny) as completed_refund_cny
    from completed_refunds
    group by order_id, refund_completed_date

),

refunds_as_of as (

    -- each completion date of an order with every refund of the order completed by then
    select rd.order_id, rd.refund_completed_date as as_of_date, cr.sku, cr.amount_cny
    from refund_dates as rd
    inner join completed_refunds as cr
        on cr.order_id = rd.order_id
        and cr.refund_completed_date <= rd.refund_completed_date

),

order_skus as (

    select order_id, sku, sum(goods_value_cny) as sku_value_cny, count(*) as sku_lines
    from items
    group by order_id, sku

),

order_values as (

    select order_id, sum(goods_value_cny) as order_value_cny, count(*) as order_lines
    from items
    group by order_id

),

sku_refunds as (

    select r.order_id, r.as_of_date, r.sku, sum(r.amount_cny) as refund_cny
    from refunds_as_of as r
    inner join order_skus as s on s.order_id = r.order_id and s.sku = r.sku
    group by r.order_id, r.as_of_date, r.sku

),

order_refunds as (

    -- whole-order refunds, and sku refunds for a sku the order does not contain
    select r.order_id, r.as_of_date, sum(r.amount_cny) as refund_cny
    from refunds_as_of as r
    left join order_skus as s on s.order_id = r.order_id and s.sku = r.sku
    where s.order_id is null
    group by r.order_id, r.as_of_date

),

total_refunds as (

    select order_id, as_of_date, sum(amount_cny) as refund_cny
    from refunds_as_of
    group by order_id, as_of_date

),

allocated as (

    -- as int_online_order_lines.allocated, once per (line, as_of_date)
    select
        i.order_item_id,
        i.order_id,
        t.as_of_date,
        i.goods_value_cny,
        case
            when i.goods_value_cny = 0 then 0
            when coalesce(t.refund_cny, 0) >= ov.order_value_cny then i.goods_value_cny
            else
                coalesce(sr.refund_cny, 0) * (
                    case when s.sku_value_cny > 0 then i.goods_value_cny / s.sku_value_cny
                         else 1.0 / s.sku_lines end)
                + coalesce(orf.refund_cny, 0) * (
                    case when ov.order_value_cny > 0 then i.goods_value_cny / ov.order_value_cny
                         else 1.0 / ov.order_lines end)
        end as refund_share_cny
    from items as i
    inner join total_refunds as t on t.order_id = i.order_id
    inner join order_skus as s on s.order_id = i.order_id and s.sku = i.sku
    inner join order_values as ov on ov.order_id = i.order_id
    left join sku_refunds as sr
        on sr.order_id = i.order_id and sr.as_of_date = t.as_of_date and sr.sku = i.sku
    left join order_refunds as orf on orf.order_id = i.order_id and orf.as_of_date = t.as_of_date

),

line_totals as (

    select
        order_id,
        as_of_date,
        sum(cast(round(case when refund_share_cny > goods_value_cny then goods_value_cny
                            else refund_share_cny end, 2) as decimal(18, 2))) as refunded_cny
    from allocated
    group by order_id, as_of_date

),

cumulative as (

    -- as int_online_orders.amounts: lines when the order has lines, else the header capped
    select
        rd.order_id,
        rd.refund_completed_date,
        rd.completed_refund_cny,
        case
            when ov.order_id is not null then lt.refunded_cny
            when t.refund_cny > (case when o.header_goods_value_cny > 0 then o.header_goods_value_cny else 0 end)
                then (case when o.header_goods_value_cny > 0 then o.header_goods_value_cny else 0 end)
            else t.refund_cny
        end as cumulative_refunded_cny
    from refund_dates as rd
    inner join orders as o on o.order_id = rd.order_id
    inner join total_refunds as t
        on t.order_id = rd.order_id and t.as_of_date = rd.refund_completed_date
    left join order_values as ov on ov.order_id = rd.order_id
    left join line_totals as lt
        on lt.order_id = rd.order_id and lt.as_of_date = rd.refund_completed_date

)

select
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(refund_completed_date as date) as refund_completed_date,
    cast(cumulative_refunded_cny - coalesce(lag(cumulative_refunded_cny) over (
        partition by order_id order by refund_completed_date), 0) as decimal(18, 2)) as refunded_amount_cny,
    cast(cumulative_refunded_cny as decimal(18, 2)) as cumulative_refunded_amount_cny,
    cast(completed_refund_cny as decimal(18, 2)) as completed_refund_cny
from cumulative
