-- The trailing-12-month spend summed over customers equals the net amounts in fct_orders for
-- counted purchases (status paid, not fully refunded) of known customers dated 0..364 days
-- (membership_parameters.spend_window_days) before the as-of date, point in time: refunds
-- completed after the as-of date (int_order_refunds_completed) are added back. (An order fully
-- refunded on the as-of date has net 0 then, so summing every paid order is the same sum.)
-- Catches fan-out, dropped customers and window drift. Fails when the difference exceeds
-- 0.005 CNY.
with as_of as (
    select max(as_of_date) as as_of_date from {{ ref('customer_membership_tiers') }}
),

params as (
    select cast(max(case when parameter = 'spend_window_days' then value end) as integer) as spend_window_days
    from {{ ref('membership_parameters') }}
),

mart_total as (
    select coalesce(sum(trailing_12m_net_spend_cny), 0) as total_cny from {{ ref('customer_membership_tiers') }}
),

later_refunds as (
    -- refunds completed after the as-of date: not yet known on the as-of date
    select rc.order_id, sum(rc.refunded_amount_cny) as refunded_cny
    from {{ ref('int_order_refunds_completed') }} as rc
    cross join as_of as ao
    where rc.refund_completed_date > ao.as_of_date
    group by rc.order_id
),

orders_as_of as (
    select
        fo.customer_id,
        fo.order_date,
        coalesce(fo.net_amount_cny, 0) + coalesce(lr.refunded_cny, 0) as net_amount_cny
    from {{ ref('fct_orders') }} as fo
    left join later_refunds as lr on lr.order_id = fo.order_id
    where fo.status = 'paid'
),

orders_total as (
    select coalesce(sum(fo.net_amount_cny), 0) as total_cny
    from orders_as_of as fo
    cross join as_of as ao
    cross join params as pa
    where fo.customer_id in (select dc.customer_id from {{ ref('dim_customers') }} as dc)
        and fo.order_date <= ao.as_of_date
        and {{ dbt.datediff('fo.order_date', 'ao.as_of_date', 'day') }} < pa.spend_window_days
)

select mt.total_cny as mart_total_cny, ot.total_cny as fct_orders_total_cny
from mart_total as mt
cross join orders_total as ot
where abs(mt.total_cny - ot.total_cny) > 0.005

{#- Shown in Dagster as an asset check on customer_membership_tiers (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'customer_membership_tiers'}}}) }}
