{#- Calibration / holdout backtest of the LTV model, one row per (as_of_date, prediction_decile).
    Each run fits BG/NBD + Gamma-Gamma on purchases up to calibration_end_date = as-of date -
    var ltv_holdout_days, predicts the holdout (calibration_end_date, as_of_date] for the
    customers known at calibration end, and compares with what they actually bought in it, by
    decile of predicted holdout value (10 = highest; ties share a decile). Incremental: a run
    replaces the rows of its as-of date and keeps the others (a history to watch drift).
    Between refits (var ltv_refit_days) the calibration parameters are those fitted as of
    fitted_as_of_date, on purchases up to that date - ltv_holdout_days: earlier data, never
    the holdout's. -#}

{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='as_of_date', on_schema_change='append_new_columns') }}

with scores as (

    select * from {{ ref('int_ltv_scores') }}
    where fit_period = 'calibration'

),

ranked as (

    select
        scores.*,
        count(*) over (order by scores.predicted_value_holdout_cny) as customers_at_or_below,
        count(*) over () as customers_total
    from scores

),

deciled as (

    select
        ranked.*,
        floor((ranked.customers_at_or_below * 10 - 1) / ranked.customers_total) + 1 as prediction_decile
    from ranked

)

select
    cast(as_of_date as date) as as_of_date,
    cast(max(period_end_date) as date) as calibration_end_date,
    cast(max(holdout_days) as integer) as holdout_days,
    cast(prediction_decile as integer) as prediction_decile,
    cast(count(*) as integer) as customers,
    cast(sum(expected_purchases_holdout) as double) as predicted_purchases,
    cast(sum(holdout_purchase_days) as integer) as actual_purchases,
    cast(sum(predicted_value_holdout_cny) as decimal(18, 2)) as predicted_value_cny,
    cast(sum(holdout_net_spend_cny) as decimal(18, 2)) as actual_value_cny,
    cast(avg(p_alive) as double) as avg_p_alive,
    cast(max(fit_customers) as integer) as fit_customers,
    cast(max(fit_repeat_customers) as integer) as fit_repeat_customers,
    cast(max(bgnbd_r) as double) as bgnbd_r,
    cast(max(bgnbd_alpha) as double) as bgnbd_alpha,
    cast(max(bgnbd_a) as double) as bgnbd_a,
    cast(max(bgnbd_b) as double) as bgnbd_b,
    cast(max(gamma_gamma_p) as double) as gamma_gamma_p,
    cast(max(gamma_gamma_q) as double) as gamma_gamma_q,
    cast(max(gamma_gamma_v) as double) as gamma_gamma_v,
    cast(max(fitted_as_of_date) as date) as fitted_as_of_date
from deciled
group by as_of_date, prediction_decile
