-- A fully refunded order has net 0 and was paid; a paid order with completed refunds and net 0 is
-- flagged. A returned row is an order whose is_fully_refunded flag contradicts its amounts.
select order_id, status, net_amount_cny, refunded_amount_cny, is_fully_refunded
from {{ ref('fct_orders') }}
where (is_fully_refunded and (net_amount_cny <> 0 or status <> 'paid'))
    or (not is_fully_refunded and status = 'paid' and refunded_amount_cny > 0 and net_amount_cny = 0)
