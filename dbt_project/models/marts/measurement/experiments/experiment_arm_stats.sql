{#- Sufficient statistics of every experiment arm and metric, in portable SQL: units, mean and
    sample variance of the metric, and the CUPED adjustment with theta = cov(Y, X) / var(X) over
    all units of the experiment (X = the unit's pre-period events for conversion_rate, its
    pre-period revenue for revenue_per_unit_cny). experiment_readouts
    turns them into lifts, intervals, p-values and probabilities (scipy).

    The sums (of y, x, y*y, x*x, y*x) are exact DECIMALs: a sum of doubles depends on the order
    the rows arrive in, so a rebuild or an incremental build would differ in the last bits.
    Means, variances and covariances come from the exact sums in one step each. -#}
with units as (
    select * from {{ ref('int_experiment_units') }}
),

long_metrics as (
    select
        experiment_id,
        variant,
        cast('conversion_rate' as {{ dbt.type_string() }}) as metric,
        cast(case when is_converted then 1 else 0 end as decimal(18, 2)) as y,
        cast(pre_period_events as decimal(18, 2)) as x
    from units
    union all
    select
        experiment_id,
        variant,
        cast('revenue_per_unit_cny' as {{ dbt.type_string() }}) as metric,
        cast(revenue_cny as decimal(18, 2)) as y,
        cast(pre_period_revenue_cny as decimal(18, 2)) as x
    from units
),

per_arm_sums as (
    select
        experiment_id,
        variant,
        metric,
        count(*) as n,
        sum(y) as sy,
        sum(x) as sx,
        sum(y * y) as syy,
        sum(x * x) as sxx,
        sum(y * x) as sxy
    from long_metrics
    group by experiment_id, variant, metric
),

{# moments from exact sums: mean = s / n; sample (co)variance = (n * sab - sa * sb) / (n (n - 1)) #}
per_arm as (
    select
        experiment_id,
        variant,
        metric,
        n as units,
        sy, sx, syy, sxx, sxy,
        cast(sy as double) / n as mean_value,
        cast(sx as double) / n as mean_covariate,
        case when n > 1 then cast(n * syy - sy * sy as double) / (n * (n - 1)) else 0 end
            as variance_value,
        case when n > 1 then cast(n * sxx - sx * sx as double) / (n * (n - 1)) else 0 end
            as variance_covariate,
        case when n > 1 then cast(n * sxy - sx * sy as double) / (n * (n - 1)) else 0 end
            as covariance_value_covariate
    from per_arm_sums
),

pooled_sums as (
    select
        experiment_id,
        metric,
        sum(units) as n,
        sum(sy) as sy,
        sum(sx) as sx,
        sum(sxx) as sxx,
        sum(sxy) as sxy
    from per_arm
    group by experiment_id, metric
),

pooled as (
    select
        experiment_id,
        metric,
        n as experiment_units,
        cast(sx as double) / n as mean_covariate_pooled,
        case
            when n > 1 and n * sxx - sx * sx > 0
                then cast(n * sxy - sx * sy as double) / cast(n * sxx - sx * sx as double)
            else 0
        end as cuped_theta
    from pooled_sums
)

select
    cast(a.experiment_id as {{ dbt.type_string() }}) as experiment_id,
    cast(a.variant as {{ dbt.type_string() }}) as variant,
    cast(a.metric as {{ dbt.type_string() }}) as metric,
    cast(ar.is_control as boolean) as is_control,
    cast(ar.design_share as double) as design_share,
    cast(a.units as {{ dbt.type_bigint() }}) as units,
    cast(a.units as double) / p.experiment_units as observed_share,
    cast(a.sy as double) as sum_value,
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
from per_arm as a
inner join pooled as p on p.experiment_id = a.experiment_id and p.metric = a.metric
inner join {{ ref('int_experiment_arms') }} as ar
    on ar.experiment_id = a.experiment_id and ar.variant = a.variant
