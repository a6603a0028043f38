{#- Purchase cycle per customer and category (feeds replenishment reminders).
    One row per (customer_id, category) the customer bought in a counted purchase (order status
    paid, not fully refunded, line net > 0). A purchase is a distinct local order date; the cycle
    is the median of the day gaps between consecutive purchase dates (NULL with a single date).
    next_expected_date = last_purchase_date + round(median_days_between). -#}

with purchase_dates as (

    select distinct
        l.customer_id,
        l.category,
        o.order_date
    from {{ ref('fct_order_lines') }} as l
    inner join {{ ref('fct_orders') }} as o on o.order_id = l.order_id
    where l.customer_id is not null
        and l.category is not null
        and o.status = 'paid'
        and not o.is_fully_refunded
        and l.net_amount_cny > 0

),

spend as (

    select l.customer_id, l.category, sum(l.net_amount_cny) as net_spend_cny
    from {{ ref('fct_order_lines') }} as l
    inner join {{ ref('fct_orders') }} as o on o.order_id = l.order_id
    where l.customer_id is not null
        and l.category is not null
        and o.status = 'paid'
        and not o.is_fully_refunded
    group by l.customer_id, l.category

),

gaps as (

    select
        customer_id,
        category,
        order_date,
        {{ dbt.datediff(
            'lag(order_date) over (partition by customer_id, category order by order_date)',
            'order_date', 'day') }} as days_since_previous
    from purchase_dates

),

cycles as (

    select
        customer_id,
        category,
        count(*) as purchase_count,
        min(order_date) as first_purchase_date,
        max(order_date) as last_purchase_date,
        {{ cm_median('days_since_previous') }} as median_days_between
    from gaps
    group by customer_id, category

)

select
    cast(c.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(c.category as {{ dbt.type_string() }}) as category,
    cast(c.purchase_count as integer) as purchase_count,
    cast(s.net_spend_cny as decimal(18, 2)) as net_spend_cny,
    cast(c.first_purchase_date as date) as first_purchase_date,
    cast(c.last_purchase_date as date) as last_purchase_date,
    cast(c.median_days_between as double) as median_days_between,
    cast(case when c.median_days_between is not null then
        {{ dbt.dateadd('day', 'cast(round(c.median_days_between, 0) as integer)', 'c.last_purchase_date') }}
    end as date) as next_expected_date
from cycles as c
inner join spend as s on s.customer_id = c.customer_id and s.category = c.category
