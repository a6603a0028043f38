{#- Segment migration: per calendar month and ISO week (Monday start), how many customers moved
    from each state to each state, for rfm_segment, recency_band (dormant -> active is the brief's
    success metric), lifecycle_stage and membership_tier.
    opening snapshot = customer_state_daily on the day before the period starts;
    closing snapshot = the latest state_date inside the period (its last day once complete).
    A period is only reported when its opening day is in customer_state_daily. Customers absent
    from a snapshot (not yet known, or merged away) have state 'none'. Stayers (from = to) are
    included so shares add up to 1 per (period, dimension, from_state). -#}
with states as (
    select * from {{ ref('customer_state_daily') }}
),

available_dates as (
    select distinct state_date from states
),

bounds as (
    select max(state_date) as max_state_date from states
),

period_starts as (
    select distinct 'month' as period_type, cast({{ dbt.date_trunc('month', 'state_date') }} as date) as period_start
    from available_dates
    union all
    select distinct 'week' as period_type, cast({{ dbt.date_trunc('week', 'state_date') }} as date) as period_start
    from available_dates
),

periods as (
    select
        ps.period_type,
        ps.period_start,
        case when ps.period_type = 'month'
            then cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'ps.period_start')) }} as date)
            else cast({{ dbt.dateadd('day', 6, 'ps.period_start') }} as date)
        end as period_end,
        cast({{ dbt.dateadd('day', -1, 'ps.period_start') }} as date) as opening_date
    from period_starts as ps
),

reportable as (
    -- opening snapshot must exist; closing = the latest available day inside the period
    select
        pe.period_type,
        pe.period_start,
        pe.period_end,
        pe.opening_date,
        max(ad.state_date) as closing_date,
        max(case when pe.period_end <= bo.max_state_date then 1 else 0 end) = 1 as is_complete_period
    from periods as pe
    inner join available_dates as od on od.state_date = pe.opening_date
    inner join available_dates as ad on ad.state_date between pe.period_start and pe.period_end
    cross join bounds as bo
    group by pe.period_type, pe.period_start, pe.period_end, pe.opening_date
),

snapshots as (
    -- only the opening and closing days, before anything is joined (not 90 days x customers)
    select st.customer_id, st.state_date, st.rfm_segment, st.recency_band, st.lifecycle_stage, st.membership_tier
    from states as st
    where st.state_date in (
        select re.opening_date from reportable as re
        union
        select re.closing_date from reportable as re
    )
),

opening as (
    select re.period_type, re.period_start, sn.*
    from reportable as re
    inner join snapshots as sn on sn.state_date = re.opening_date
),

closing as (
    select re.period_type, re.period_start, sn.*
    from reportable as re
    inner join snapshots as sn on sn.state_date = re.closing_date
),

paired as (
    -- one row per (period, customer) in either snapshot; the four dimensions side by side
    select
        coalesce(op.period_type, cl.period_type) as period_type,
        coalesce(op.period_start, cl.period_start) as period_start,
        op.rfm_segment as from_rfm_segment,
        cl.rfm_segment as to_rfm_segment,
        op.recency_band as from_recency_band,
        cl.recency_band as to_recency_band,
        op.lifecycle_stage as from_lifecycle_stage,
        cl.lifecycle_stage as to_lifecycle_stage,
        op.membership_tier as from_membership_tier,
        cl.membership_tier as to_membership_tier
    from opening as op
    full outer join closing as cl
        on op.period_type = cl.period_type
        and op.period_start = cl.period_start
        and op.customer_id = cl.customer_id
),

dimensions as (
    select 'rfm_segment' as dimension
    union all
    select 'recency_band' as dimension
    union all
    select 'lifecycle_stage' as dimension
    union all
    select 'membership_tier' as dimension
),

moves as (
    select
        pa.period_type,
        pa.period_start,
        di.dimension,
        coalesce(case di.dimension
            when 'rfm_segment' then pa.from_rfm_segment
            when 'recency_band' then pa.from_recency_band
            when 'lifecycle_stage' then pa.from_lifecycle_stage
            when 'membership_tier' then pa.from_membership_tier
        end, 'none') as from_state,
        coalesce(case di.dimension
            when 'rfm_segment' then pa.to_rfm_segment
            when 'recency_band' then pa.to_recency_band
            when 'lifecycle_stage' then pa.to_lifecycle_stage
            when 'membership_tier' then pa.to_membership_tier
        end, 'none') as to_state
    from paired as pa
    cross join dimensions as di
),

counted as (
    select period_type, period_start, dimension, from_state, to_state, count(*) as customers
    from moves
    group by period_type, period_start, dimension, from_state, to_state
)

select
    cast(co.period_type as {{ dbt.type_string() }}) as period_type,
    cast(co.period_start as date) as period_start,
    cast(re.period_end as date) as period_end,
    cast(re.opening_date as date) as opening_date,
    cast(re.closing_date as date) as closing_date,
    cast(re.is_complete_period as boolean) as is_complete_period,
    cast(co.dimension as {{ dbt.type_string() }}) as dimension,
    cast(co.from_state as {{ dbt.type_string() }}) as from_state,
    cast(co.to_state as {{ dbt.type_string() }}) as to_state,
    cast(co.from_state <> co.to_state as boolean) as is_migration,
    cast(co.customers as bigint) as customers,
    cast(sum(co.customers) over (partition by co.period_type, co.period_start, co.dimension, co.from_state)
        as bigint) as from_state_customers,
    cast(co.customers * 1.0
        / sum(co.customers) over (partition by co.period_type, co.period_start, co.dimension, co.from_state)
        as decimal(9, 6)) as share_of_from_state
from counted as co
inner join reportable as re
    on co.period_type = re.period_type
    and co.period_start = re.period_start
