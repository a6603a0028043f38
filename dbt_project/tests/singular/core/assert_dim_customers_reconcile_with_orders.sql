-- dim_customers order counts and spend equal the counted purchases in fct_orders, and every
-- customer with a counted purchase is in dim_customers (customer_profiles likewise).
-- A returned row is a customer whose totals disagree between the two models.
with counted as (

    select customer_id, count(*) as order_count, sum(net_amount_cny) as net_spend_cny
    from {{ ref('fct_orders') }}
    where customer_id is not null and status = 'paid' and not is_fully_refunded
    group by customer_id

)

select coalesce(c.customer_id, d.customer_id) as customer_id,
       c.order_count as fct_order_count, d.order_count as dim_order_count,
       c.net_spend_cny as fct_net_spend_cny, d.net_spend_cny as dim_net_spend_cny
from counted as c
full outer join {{ ref('dim_customers') }} as d on d.customer_id = c.customer_id
where d.customer_id is null
    or coalesce(c.order_count, 0) <> d.order_count
    or coalesce(c.net_spend_cny, 0) <> d.net_spend_cny
    or d.online_order_count + d.offline_order_count <> d.order_count

{#- Shown in Dagster as an asset check on dim_customers (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'dim_customers'}}}) }}
