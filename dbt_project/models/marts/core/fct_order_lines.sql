{#- One row per order line (online order item or POS receipt line), with the order's customer.
    net_amount_cny = line value after its discount share, minus its share of completed refunds,
    never negative; the lines of an order sum exactly to fct_orders.net_amount_cny. -#}

with lines as (

    select order_line_id, order_id, line_no, sku, category, brand, quantity, unit_price_cny,
           discount_cny, net_amount_cny, refunded_amount_cny
    from {{ ref('int_online_order_lines') }}
    union all
    select order_line_id, order_id, line_no, sku, category, brand, quantity, unit_price_cny,
           discount_cny, net_amount_cny, refunded_amount_cny
    from {{ ref('int_offline_order_lines') }}

)

select
    cast(l.order_line_id as {{ dbt.type_string() }}) as order_line_id,
    cast(l.order_id as {{ dbt.type_string() }}) as order_id,
    cast(o.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(l.line_no as integer) as line_no,
    cast(l.sku as {{ dbt.type_string() }}) as sku,
    cast(l.category as {{ dbt.type_string() }}) as category,
    cast(l.brand as {{ dbt.type_string() }}) as brand,
    cast(l.quantity as integer) as quantity,
    cast(l.unit_price_cny as decimal(18, 2)) as unit_price_cny,
    cast(l.discount_cny as decimal(18, 2)) as discount_cny,
    cast(l.net_amount_cny as decimal(18, 2)) as net_amount_cny,
    cast(l.refunded_amount_cny as decimal(18, 2)) as refunded_amount_cny
from lines as l
inner join {{ ref('fct_orders') }} as o on o.order_id = l.order_id
