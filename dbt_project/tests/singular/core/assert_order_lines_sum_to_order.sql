-- Every order with lines: its lines' net and refunded amounts sum exactly to the order's.
-- A returned row is an order whose fct_order_lines totals differ from fct_orders.
with line_totals as (

    select order_id, sum(net_amount_cny) as lines_net_cny, sum(refunded_amount_cny) as lines_refunded_cny
    from {{ ref('fct_order_lines') }}
    group by order_id

)

select o.order_id, o.net_amount_cny, l.lines_net_cny, o.refunded_amount_cny, l.lines_refunded_cny
from {{ ref('fct_orders') }} as o
inner join line_totals as l on l.order_id = o.order_id
where o.net_amount_cny <> l.lines_net_cny
    or o.refunded_amount_cny <> l.lines_refunded_cny

{#- Shown in Dagster as an asset check on fct_orders (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}
