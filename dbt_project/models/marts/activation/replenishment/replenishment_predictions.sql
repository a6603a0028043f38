{#- Predicted next purchase per customer x category with a trusted purchase cycle, as of the
    as-of date (brief 4, replenishment). Point in time: only purchases on or before the as-of
    date count, and a purchase stops counting only when refunds completed on or before the
    as-of date refund its whole order (as in the segmentation marts).

    A purchase is a distinct local order date with a line of the category in a counted order
    (paid, goods value > 0). The cycle is the median gap between consecutive purchase dates,
    trusted when (seed replenishment_rules, the category's row or the `*` row) there are at
    least min_purchases dates, the rounded median is within [min_cycle_days, max_cycle_days],
    and the median absolute deviation of the gaps is at most max_cycle_deviation x the median.

    Each purchase starts a cycle: predicted = purchase + cycle_days, the reminder is due from
    predicted - lead_days to predicted + grace_days. Any purchase of the category ends the cycle
    it falls in and starts the next one: before the reminder date it is an early repurchase (no
    reminder), on or after it the customer "already bought" and the reminder is suppressed.
    Status, in this order: due (the current cycle's reminder window holds the as-of date),
    suppressed_bought (the previous cycle's reminder had become due, the customer bought in its
    window and that window has not ended), upcoming, overdue. Full rules:
    docs/activation/replenishment.md. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

refunds_as_of as (

    -- Refunds completed (local date) on or before the as-of date, per order.
    select
        rc.order_id,
        sum(rc.refunded_amount_cny) as refunded_cny,
        sum(rc.completed_refund_cny) as completed_refund_cny
    from {{ ref('int_order_refunds_completed') }} as rc
    cross join as_of as a
    where rc.refund_completed_date <= a.as_of_date
    group by rc.order_id

),

counted_orders as (

    -- Paid orders of identified customers up to the as-of date, not fully refunded by then.
    select
        o.order_id,
        o.customer_id,
        o.order_date
    from {{ ref('fct_orders') }} as o
    cross join as_of as a
    left join refunds_as_of as r on r.order_id = o.order_id
    where o.customer_id is not null
      and o.status = 'paid'
      and o.order_date <= a.as_of_date
      and not (
          coalesce(r.completed_refund_cny, 0) > 0
          and o.net_amount_cny + o.refunded_amount_cny - coalesce(r.refunded_cny, 0) <= 0
      )

),

purchase_dates as (

    select distinct
        co.customer_id,
        l.category,
        co.order_date as purchase_date
    from counted_orders as co
    inner join {{ ref('fct_order_lines') }} as l on l.order_id = co.order_id
    where l.category is not null
      and l.net_amount_cny + coalesce(l.refunded_amount_cny, 0) > 0

),

category_rules as (

    -- The category's own seed row, else the `*` row.
    select
        cats.category,
        r.category as rule_category,
        r.is_enabled,
        r.lead_days,
        r.grace_days,
        r.min_purchases,
        r.min_cycle_days,
        r.max_cycle_days,
        r.max_cycle_deviation
    from (select distinct pd.category from purchase_dates as pd) as cats
    inner join {{ ref('replenishment_rules') }} as r
        on r.category = cats.category
        or (r.category = '*' and cats.category not in (
            select rr.category from {{ ref('replenishment_rules') }} as rr
        ))

),

gaps as (

    select
        customer_id,
        category,
        purchase_date,
        lag(purchase_date) over (
            partition by customer_id, category order by purchase_date
        ) as previous_purchase_date,
        row_number() over (
            partition by customer_id, category order by purchase_date desc
        ) as recency_rank
    from purchase_dates

),

gap_days as (

    select
        g.*,
        {{ dbt.datediff('g.previous_purchase_date', 'g.purchase_date', 'day') }} as gap_days  -- noqa: LT05
    from gaps as g

),

cycles as (

    select
        customer_id,
        category,
        count(*) as purchase_count,
        min(purchase_date) as first_purchase_date,
        max(purchase_date) as last_purchase_date,
        max(case when recency_rank = 1 then previous_purchase_date end) as previous_purchase_date,
        {{ cm_median('gap_days') }} as median_gap_days
    from gap_days
    group by customer_id, category

),

deviations as (

    select
        g.customer_id,
        g.category,
        {{ cm_median('abs(g.gap_days - c.median_gap_days)') }} as gap_deviation_days
    from gap_days as g
    inner join cycles as c on c.customer_id = g.customer_id and c.category = g.category
    where g.gap_days is not null
    group by g.customer_id, g.category

),

trusted as (

    select
        c.*,
        d.gap_deviation_days,
        cast(round(c.median_gap_days, 0) as integer) as cycle_days,
        r.rule_category,
        r.is_enabled,
        r.lead_days,
        r.grace_days
    from cycles as c
    inner join deviations as d on d.customer_id = c.customer_id and d.category = c.category
    inner join category_rules as r on r.category = c.category
    where c.purchase_count >= r.min_purchases
      and cast(round(c.median_gap_days, 0) as integer) between r.min_cycle_days and r.max_cycle_days
      and d.gap_deviation_days <= r.max_cycle_deviation * c.median_gap_days

),

dated as (

    select
        t.*,
        a.as_of_date,
        {{ dbt.dateadd('day', 't.cycle_days', 't.last_purchase_date') }} as predicted_next_date,
        {{ dbt.dateadd('day', 't.cycle_days - t.lead_days', 't.last_purchase_date') }} as reminder_date,
        {{ dbt.dateadd('day', 't.cycle_days + t.grace_days', 't.last_purchase_date') }} as reminder_end_date,
        {{ dbt.dateadd('day', 't.cycle_days - t.lead_days', 't.previous_purchase_date') }} as previous_reminder_date,
        {{ dbt.dateadd('day', 't.cycle_days + t.grace_days', 't.previous_purchase_date') }}
            as previous_reminder_end_date
    from trusted as t
    cross join as_of as a

)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(as_of_date as date) as as_of_date,
    cast(purchase_count as integer) as purchase_count,
    cast(first_purchase_date as date) as first_purchase_date,
    cast(previous_purchase_date as date) as previous_purchase_date,
    cast(last_purchase_date as date) as last_purchase_date,
    cast(median_gap_days as double) as median_gap_days,
    cast(gap_deviation_days as double) as gap_deviation_days,
    cast(cycle_days as integer) as cycle_days,
    cast(predicted_next_date as date) as predicted_next_date,
    cast(reminder_date as date) as reminder_date,
    cast(reminder_end_date as date) as reminder_end_date,
    cast({{ dbt.datediff('as_of_date', 'predicted_next_date', 'day') }} as integer) as days_until_predicted,  -- noqa: LT05
    cast(case
        when as_of_date >= reminder_date and as_of_date <= reminder_end_date then 'due'
        when last_purchase_date >= previous_reminder_date
            and as_of_date <= previous_reminder_end_date then 'suppressed_bought'
        when as_of_date < reminder_date then 'upcoming'
        else 'overdue'
    end as {{ dbt.type_string() }}) as replenishment_status,
    cast(rule_category as {{ dbt.type_string() }}) as rule_category,
    cast(is_enabled as boolean) as is_reminder_enabled
from dated
