{#- Predicted customer value at the as-of date, one row per customer with at least one counted
    purchase (see int_ltv_inputs). ltv_decile: 10 = highest predicted 1-year value; customers
    with equal predicted values share a decile (decile = ceil(10 x share of customers whose
    value is at most theirs)), so the decile depends on values only, never on ids. -#}

with scores as (

    select * from {{ ref('int_ltv_scores') }}
    where fit_period = 'as_of'

),

ranked as (

    select
        scores.*,
        count(*) over (order by scores.predicted_value_1y_cny) as customers_at_or_below,
        count(*) over () as customers_total
    from scores

)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(as_of_date as date) as as_of_date,
    cast(frequency as integer) as frequency,
    cast(recency_days as integer) as recency_days,
    cast(t_days as integer) as t_days,
    cast(purchase_days as integer) as purchase_days,
    cast(avg_net_spend_cny as decimal(18, 2)) as avg_net_spend_cny,
    cast(p_alive as double) as p_alive,
    cast(expected_purchases_30d as double) as expected_purchases_30d,
    cast(expected_purchases_90d as double) as expected_purchases_90d,
    cast(expected_purchases_365d as double) as expected_purchases_365d,
    cast(expected_spend_per_purchase_cny as decimal(18, 2)) as expected_spend_per_purchase_cny,
    cast(predicted_value_1y_cny as decimal(18, 2)) as predicted_value_1y_cny,
    cast(predicted_value_1y_p10_cny as decimal(18, 2)) as predicted_value_1y_p10_cny,
    cast(predicted_value_1y_p50_cny as decimal(18, 2)) as predicted_value_1y_p50_cny,
    cast(predicted_value_1y_p90_cny as decimal(18, 2)) as predicted_value_1y_p90_cny,
    cast(floor((customers_at_or_below * 10 - 1) / customers_total) + 1 as integer) as ltv_decile
from ranked
