{#- Segment migration: per calendar month and ISO week (Monday start), how many customers moved
    from each state to each state, for rfm_segment, recency_band (dormant -> active is the brief's
    success metric), lifecycle_stage and membership_tier.
    opening snapshot = customer_state_daily on the day before the period starts;
    closing snapshot = the latest state_date inside the period (its last day once complete).
    A period is only reported when its opening day is in customer_state_daily. Customers absent
    from a snapshot (not yet known, or merged away) have state 'none'. Stayers (from = to) are
    included so shares add up to 1 per (period, dimension, from_state).

    Incremental (where incremental_reads_new_rows_only()): a period is rebuilt only when one of
    its two snapshots changed or its closing date moved (and a new period is built); the others
    are kept, replaced by (period_type, period_start). A daily run of customer_state_daily
    rewrites its last days (state_recompute_days) and backfills customers new to it, so most
    periods keep both snapshots. "Changed" is decided by fingerprint (row count and sum of row
    hashes per snapshot date; pre-hook fingerprint_migration_snapshots, recorded by the
    post-hook in dbt_state.snapshot_fingerprints), which also catches a rewrite of an old date.
    Periods no longer reportable are deleted by the post-hook. -#}
{%- set changes_only = is_incremental() and incremental_reads_new_rows_only() %}
{{ config(
    materialized='incremental',
    unique_key=['period_type', 'period_start'],
    incremental_strategy=replace_rows_strategy(),
    on_schema_change='fail',
    pre_hook="{{ fingerprint_migration_snapshots() }}",
    post_hook="{{ record_migration_snapshots() }}"
) }}
with states as (
    select * from {{ ref('customer_state_daily') }}
),

reportable as (
    {{ segment_migration_periods(ref('customer_state_daily')) }}
),

{%- if changes_only %}
{%- set fp = snapshot_fingerprint_relation() %}

fingerprints as (
    select
        pending.snapshot_date,
        pending.row_count = recorded.row_count and pending.hash_sum = recorded.hash_sum as is_unchanged
    from {{ fp }} as pending
    inner join {{ fp }} as recorded
        on recorded.model_name = pending.model_name
        and recorded.snapshot_date = pending.snapshot_date
        and not recorded.is_pending
    where pending.model_name = '{{ this.identifier }}' and pending.is_pending
),

-- kept: built before from the same closing date and two unchanged snapshots
kept as (
    select distinct t.period_type, t.period_start
    from {{ this }} as t
    inner join reportable as re
        on re.period_type = t.period_type
        and re.period_start = t.period_start
        and re.closing_date = t.closing_date
        and re.is_complete_period = t.is_complete_period
    inner join fingerprints as fo on fo.snapshot_date = re.opening_date and fo.is_unchanged
    inner join fingerprints as fc on fc.snapshot_date = re.closing_date and fc.is_unchanged
),

to_build as (
    select re.*
    from reportable as re
    where not exists (
        select 1 from kept as k
        where k.period_type = re.period_type and k.period_start = re.period_start
    )
),

{%- else %}

to_build as (
    select * from reportable
),

{%- endif %}

snapshots as (
    -- only the opening and closing days, before anything is joined (not 90 days x customers)
    select st.customer_id, st.state_date, st.rfm_segment, st.recency_band, st.lifecycle_stage, st.membership_tier
    from states as st
    where st.state_date in (
        select re.opening_date from to_build as re
        union
        select re.closing_date from to_build as re
    )
),

opening as (
    select re.period_type, re.period_start, sn.*
    from to_build as re
    inner join snapshots as sn on sn.state_date = re.opening_date
),

closing as (
    select re.period_type, re.period_start, sn.*
    from to_build as re
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
inner join to_build as re
    on co.period_type = re.period_type
    and co.period_start = re.period_start
