-- Net amounts are never negative and refunds never exceed what was paid for the goods.
-- A returned row is an order or line with a negative net or refunded amount.
select 'order' as grain, order_id as id, net_amount_cny, refunded_amount_cny
from {{ ref('fct_orders') }}
where net_amount_cny < 0 or refunded_amount_cny < 0
union all
select 'line', order_line_id, net_amount_cny, refunded_amount_cny
from {{ ref('fct_order_lines') }}
where net_amount_cny < 0 or refunded_amount_cny < 0

{#- Shown in Dagster as an asset check on fct_orders (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}
