-- Within a period and dimension, the customers leaving a from_state add up to that state's
-- opening count, and every period/dimension closes with as many customers as the daily table has
-- on the closing date.
with by_from as (
    select period_type, period_start, dimension, from_state,
        sum(customers) as moved, max(from_state_customers) as from_total, sum(share_of_from_state) as share_total
    from {{ ref('segment_migration') }}
    group by period_type, period_start, dimension, from_state
),

by_closing as (
    select sm.period_type, sm.period_start, sm.dimension, sm.closing_date, sum(sm.customers) as closing_customers
    from {{ ref('segment_migration') }} as sm
    where sm.to_state <> 'none'
    group by sm.period_type, sm.period_start, sm.dimension, sm.closing_date
),

daily as (
    select state_date, count(*) as customers from {{ ref('customer_state_daily') }} group by state_date
)

select period_type, period_start, dimension, 'shares' as failure
from by_from
where moved <> from_total or abs(share_total - 1) > 0.0001
union all
select bc.period_type, bc.period_start, bc.dimension, 'closing count' as failure
from by_closing as bc
left join daily as da on bc.closing_date = da.state_date
where da.customers is null or bc.closing_customers <> da.customers

{#- Shown in Dagster as an asset check on segment_migration (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'segment_migration'}}}) }}
