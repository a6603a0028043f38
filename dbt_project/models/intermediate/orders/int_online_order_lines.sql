{#- Online order lines with their share of completed refunds. One row per order_item_id.

    Refunds: only completed refunds (completed_at not null) count, both refund_type refund and
    return. A refund naming a sku is spread over that sku's lines in the order (by line value); a
    refund without sku, or naming a sku the order does not contain, is spread over all lines of
    the order by line value. A line is never refunded beyond its value (net never negative); when
    an order's completed refunds reach its goods value every line is fully refunded.
    Cancelled orders: nothing was paid, so goods_value_cny and net_amount_cny are 0. -#}

with items as (

    select
        i.order_item_id,
        i.order_id,
        i.line_no,
        i.sku,
        i.category,
        i.brand,
        i.quantity,
        i.unit_price_cny,
        coalesce(i.discount_cny, 0) as discount_cny,
        o.status,
        case
            when o.status = 'paid' then
                case when i.net_amount_cny > 0 then i.net_amount_cny else 0 end
            else 0
        end as goods_value_cny
    from {{ ref('stg_shop__order_items') }} as i
    inner join {{ ref('stg_shop__orders') }} as o on o.order_id = i.order_id

),

completed_refunds as (

    select order_id, sku, amount_cny
    from {{ ref('stg_shop__refunds') }}
    where completed_at is not null and amount_cny > 0

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

    select r.order_id, r.sku, sum(r.amount_cny) as refund_cny
    from completed_refunds as r
    inner join order_skus as s on s.order_id = r.order_id and s.sku = r.sku
    group by r.order_id, r.sku

),

order_refunds as (

    -- whole-order refunds, and sku refunds for a sku the order does not contain
    select r.order_id, sum(r.amount_cny) as refund_cny
    from completed_refunds as r
    left join order_skus as s on s.order_id = r.order_id and s.sku = r.sku
    where s.order_id is null
    group by r.order_id

),

total_refunds as (

    select order_id, sum(amount_cny) as refund_cny
    from completed_refunds
    group by order_id

),

allocated as (

    select
        i.*,
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
    inner join order_skus as s on s.order_id = i.order_id and s.sku = i.sku
    inner join order_values as ov on ov.order_id = i.order_id
    left join sku_refunds as sr on sr.order_id = i.order_id and sr.sku = i.sku
    left join order_refunds as orf on orf.order_id = i.order_id
    left join total_refunds as t on t.order_id = i.order_id

),

capped as (

    select
        *,
        cast(round(case when refund_share_cny > goods_value_cny then goods_value_cny
                        else refund_share_cny end, 2) as decimal(18, 2)) as refunded_amount_cny
    from allocated

)

select
    order_item_id as order_line_id,
    order_id,
    line_no,
    sku,
    category,
    brand,
    quantity,
    unit_price_cny,
    cast(discount_cny as decimal(18, 2)) as discount_cny,
    cast(quantity * unit_price_cny as decimal(18, 2)) as gross_amount_cny,
    cast(goods_value_cny as decimal(18, 2)) as goods_value_cny,
    refunded_amount_cny,
    cast(goods_value_cny - refunded_amount_cny as decimal(18, 2)) as net_amount_cny
from capped
