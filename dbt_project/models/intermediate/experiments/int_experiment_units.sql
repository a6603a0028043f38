{#- One row per experiment and assigned unit: its variant, its outcome in the window after
    assignment and its activity over the pre-period (the CUPED covariates). Windows from seed
    experiment_parameters: outcome [assigned_at, assigned_at + outcome_window_days), pre-period
    [assigned_at - pre_period_days, assigned_at). Outcome events of units never assigned (or of
    another experiment) are ignored. -#}
with params as (
    select
        {{ activation_parameter('experiment_parameters', 'outcome_window_days') }} as outcome_window_days,
        {{ activation_parameter('experiment_parameters', 'pre_period_days') }} as pre_period_days
),

assignments as (
    select
        a.experiment_id,
        a.variant,
        a.unit_id,
        a.assigned_at,
        {{ dbt.dateadd('day', 'p.outcome_window_days', 'a.assigned_at') }} as window_end_at,
        {{ dbt.dateadd('day', '-1 * p.pre_period_days', 'a.assigned_at') }} as pre_period_start_at
    from {{ ref('stg_experiments__assignments') }} as a
    cross join params as p
),

events as (
    select
        a.experiment_id,
        a.unit_id,
        case when o.event_at >= a.assigned_at and o.event_at < a.window_end_at then 1 else 0 end
            as is_in_window,
        case when o.event_at >= a.pre_period_start_at and o.event_at < a.assigned_at then 1 else 0 end
            as is_in_pre_period,
        coalesce(o.value_cny, 0) as value_cny
    from assignments as a
    inner join {{ ref('stg_experiments__outcomes') }} as o
        on o.experiment_id = a.experiment_id and o.unit_id = a.unit_id
),

per_unit as (
    select
        experiment_id,
        unit_id,
        sum(is_in_window) as window_events,
        sum(is_in_window * value_cny) as revenue_cny,
        sum(is_in_pre_period) as pre_period_events,
        sum(is_in_pre_period * value_cny) as pre_period_revenue_cny
    from events
    group by experiment_id, unit_id
)

select
    cast(a.experiment_id as {{ dbt.type_string() }}) as experiment_id,
    cast(a.unit_id as {{ dbt.type_string() }}) as unit_id,
    cast(a.variant as {{ dbt.type_string() }}) as variant,
    a.assigned_at,
    cast(coalesce(u.window_events, 0) > 0 as boolean) as is_converted,
    cast(coalesce(u.window_events, 0) as {{ dbt.type_int() }}) as window_events,
    cast(coalesce(u.revenue_cny, 0) as decimal(18, 2)) as revenue_cny,
    cast(coalesce(u.pre_period_events, 0) as {{ dbt.type_int() }}) as pre_period_events,
    cast(coalesce(u.pre_period_revenue_cny, 0) as decimal(18, 2)) as pre_period_revenue_cny
from assignments as a
left join per_unit as u on u.experiment_id = a.experiment_id and u.unit_id = a.unit_id
