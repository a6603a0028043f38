{#- Sufficient statistics of every experiment arm and metric, in portable SQL: units, mean and
    sample variance of the metric, and the CUPED adjustment with theta = cov(Y, X) / var(X) over
    all units of the experiment (X = the unit's pre-period events for conversion_rate, its
    pre-period revenue for revenue_per_unit_cny). experiment_readouts
    turns them into lifts, intervals, p-values and probabilities (scipy). -#}
with units as (
    select * from {{ ref('int_experiment_units') }}
),

long_metrics as (
    select
        experiment_id,
        variant,
        cast('conversion_rate' as {{ dbt.type_string() }}) as metric,
        cast(case when is_converted then 1 else 0 end as double) as y,
        cast(pre_period_events as double) as x
    from units
    union all
    select
        experiment_id,
        variant,
        cast('revenue_per_unit_cny' as {{ dbt.type_string() }}) as metric,
        cast(revenue_cny as double) as y,
        cast(pre_period_revenue_cny as double) as x
    from units
),

pooled as (
    select
        experiment_id,
        metric,
        avg(x) as mean_covariate_pooled,
        case
            when coalesce(var_samp(x), 0) > 0 then covar_samp(y, x) / var_samp(x)
            else 0
        end as cuped_theta
    from long_metrics
    group by experiment_id, metric
),

per_arm as (
    select
        experiment_id,
        variant,
        metric,
        count(*) as units,
        sum(y) as sum_value,
        avg(y) as mean_value,
        coalesce(var_samp(y), 0) as variance_value,
        avg(x) as mean_covariate,
        coalesce(var_samp(x), 0) as variance_covariate,
        coalesce(covar_samp(y, x), 0) as covariance_value_covariate
    from long_metrics
    group by experiment_id, variant, metric
),

with_totals as (
    select
        per_arm.*,
        sum(units) over (partition by experiment_id, metric) as experiment_units
    from per_arm
)

select
    cast(a.experiment_id as {{ dbt.type_string() }}) as experiment_id,
    cast(a.variant as {{ dbt.type_string() }}) as variant,
    cast(a.metric as {{ dbt.type_string() }}) as metric,
    cast(ar.is_control as boolean) as is_control,
    cast(ar.design_share as double) as design_share,
    cast(a.units as {{ dbt.type_bigint() }}) as units,
    cast(a.units as double) / a.experiment_units as observed_share,
    cast(a.sum_value as double) as sum_value,
    cast(a.mean_value as double) as mean_value,
    cast(a.variance_value as double) as variance_value,
    cast(a.mean_covariate as double) as mean_covariate,
    cast(a.variance_covariate as double) as variance_covariate,
    cast(a.covariance_value_covariate as double) as covariance_value_covariate,
    cast(p.cuped_theta as double) as cuped_theta,
    cast(a.mean_value - p.cuped_theta * (a.mean_covariate - p.mean_covariate_pooled) as double)
        as cuped_mean_value,
    cast(
        a.variance_value
        + p.cuped_theta * p.cuped_theta * a.variance_covariate
        - 2 * p.cuped_theta * a.covariance_value_covariate
        as double
    ) as cuped_variance_value
from with_totals as a
inner join pooled as p on p.experiment_id = a.experiment_id and p.metric = a.metric
inner join {{ ref('int_experiment_arms') }} as ar
    on ar.experiment_id = a.experiment_id and ar.variant = a.variant
