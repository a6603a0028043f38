{#- LTV model inputs: one row per customer x fit period.
    fit_period 'as_of': purchases up to the as-of date (what customer_ltv predicts from).
    fit_period 'calibration': purchases up to calibration_end_date = as-of date minus
    var ltv_holdout_days (default 90), plus what the customer actually bought in the holdout
    (calibration_end_date, as-of date] (what ltv_backtest_deciles compares with).
    A purchase is a local calendar day (order_date) with counted orders (status paid, not fully
    refunded) whose net amount (net of refunds, fct_orders) sums above zero. frequency = purchase
    days - 1 (repeat days), recency_days = last - first purchase day, t_days = period end - first
    purchase day. -#}

with bounds as (

    select
        {{ segmentation_as_of_date() }} as as_of_date,
        cast({{ dbt.dateadd('day', -1 * var('ltv_holdout_days', 90), segmentation_as_of_date()) }} as date)
            as calibration_end_date

),

purchase_days as (

    select
        o.customer_id,
        o.order_date as purchase_date,
        sum(o.net_amount_cny) as net_amount_cny
    from {{ ref('fct_orders') }} as o
    cross join bounds as b
    where
        o.customer_id is not null
        and o.status = 'paid'
        and not o.is_fully_refunded
        and o.order_date <= b.as_of_date
    group by o.customer_id, o.order_date
    having sum(o.net_amount_cny) > 0

),

periods as (

    select
        'as_of' as fit_period,
        as_of_date,
        as_of_date as period_end_date,
        cast(null as integer) as holdout_days
    from bounds
    union all
    select
        'calibration' as fit_period,
        as_of_date,
        calibration_end_date as period_end_date,
        cast({{ var('ltv_holdout_days', 90) }} as integer) as holdout_days
    from bounds

),

observed as (

    select
        p.fit_period,
        d.customer_id,
        p.as_of_date,
        p.period_end_date,
        p.holdout_days,
        min(d.purchase_date) as first_purchase_date,
        max(d.purchase_date) as last_purchase_date,
        count(*) as purchase_days,
        sum(d.net_amount_cny) as net_spend_cny
    from periods as p
    inner join purchase_days as d on d.purchase_date <= p.period_end_date
    group by p.fit_period, d.customer_id, p.as_of_date, p.period_end_date, p.holdout_days

),

holdout as (

    select
        d.customer_id,
        count(*) as holdout_purchase_days,
        sum(d.net_amount_cny) as holdout_net_spend_cny
    from purchase_days as d
    cross join bounds as b
    where d.purchase_date > b.calibration_end_date
    group by d.customer_id

)

select
    cast(o.fit_period as {{ dbt.type_string() }}) as fit_period,
    cast(o.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(o.as_of_date as date) as as_of_date,
    cast(o.period_end_date as date) as period_end_date,
    cast(o.first_purchase_date as date) as first_purchase_date,
    cast(o.last_purchase_date as date) as last_purchase_date,
    cast(o.purchase_days as integer) as purchase_days,
    cast(o.purchase_days - 1 as integer) as frequency,
    cast({{ dbt.datediff('o.first_purchase_date', 'o.last_purchase_date', 'day') }} as integer) as recency_days,  -- noqa: LT05
    cast({{ dbt.datediff('o.first_purchase_date', 'o.period_end_date', 'day') }} as integer) as t_days,  -- noqa: LT05
    cast(o.net_spend_cny as decimal(18, 2)) as net_spend_cny,
    cast(o.holdout_days as integer) as holdout_days,
    cast(case when o.fit_period = 'calibration' then coalesce(h.holdout_purchase_days, 0) end as integer)
        as holdout_purchase_days,
    cast(case when o.fit_period = 'calibration' then coalesce(h.holdout_net_spend_cny, 0) end as decimal(18, 2))
        as holdout_net_spend_cny
from observed as o
left join holdout as h on h.customer_id = o.customer_id
