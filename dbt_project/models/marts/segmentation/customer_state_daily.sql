{#- One row per customer per day: the RFM segment, lifecycle stage and membership tier the
    customer had on state_date, computed with exactly the rules of the as-of marts (macro
    segmentation_customer_states) as if state_date were the as-of date.

    Each run recomputes a date range (macro segmentation_state_date_range) for every customer.
    On an incremental run, customers NOT yet in this table (new to it, e.g. a customer whose
    first record was delivered late) are also backfilled for every date from the history start
    (as-of - state_history_days + 1; their tenure start if later) to the day before the range
    (macro segmentation_state_backfill_range), so the table holds the same history as a full
    build. So are customers whose history now starts earlier than their first row (a late
    registration, sighting or order dated before it, e.g. a member record delivered after the
    member's app events), for the dates before their first row only.

    Write strategy: delete+insert keyed on state_date (insert_overwrite by partition on Spark):
    every date the run produces is replaced entirely, so reruns are idempotent and customers
    merged away by identity resolution disappear from recomputed days. Replacing a backfilled
    date entirely would delete the other customers' rows of that date, so for every backfilled
    date the run also re-emits (carries) the rows already in the table for that date: the date
    is rewritten as existing rows + the new customers' rows (new customers have no row in the
    table, so no (customer_id, state_date) is emitted twice). Only dates on which a new customer
    has a state are carried; a run without new customers touches only the recompute range. A
    composite unique_key (customer_id, state_date) would instead keep merged-away customers in
    recomputed days and does not work with Spark's partition overwrite. -#}
{{ config(
    materialized='incremental',
    unique_key='state_date',
    incremental_strategy=replace_rows_strategy(),
    partition_by=replace_rows_partition_by('state_date'),
    on_schema_change='fail'
) }}

{%- set range = segmentation_state_date_range() %}
{%- set backfill = segmentation_state_backfill_range() %}
{%- set columns = ['customer_id', 'state_date', 'rfm_segment', 'recency_band', 'frequency_band',
    'monetary_band', 'lifecycle_stage', 'membership_tier', 'tenure_days',
    'days_since_last_purchase', 'trailing_12m_net_spend_cny'] %}

{%- set state_columns_sql %}
    select
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(eval_date as date) as state_date,
        cast(rfm_segment_code as {{ dbt.type_string() }}) as rfm_segment,
        cast(recency_band as {{ dbt.type_string() }}) as recency_band,
        cast(frequency_band as {{ dbt.type_string() }}) as frequency_band,
        cast(monetary_band as {{ dbt.type_string() }}) as monetary_band,
        cast(lifecycle_stage_code as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(membership_tier_code as {{ dbt.type_string() }}) as membership_tier,
        cast(tenure_days as integer) as tenure_days,
        cast(recency_days as integer) as days_since_last_purchase,
        cast(trailing_12m_net_spend_cny as decimal(18, 2)) as trailing_12m_net_spend_cny
{%- endset %}

with states as (
    {{ segmentation_customer_states(
        "select spine_date as eval_date from (" ~ segmentation_date_spine(range.start, range.end) ~ ") as spine",
        include_all_customers=false
    ) }}
),

recomputed as (
    {{ state_columns_sql }}
    from states
)
{%- if backfill %},

first_rows as (
    select ex.customer_id, min(ex.state_date) as first_state_date
    from {{ this }} as ex
    where ex.customer_id is not null
    group by ex.customer_id
),

backfill_customers as (
    -- new to the table, or known from a later date than their earliest record now allows (no
    -- state can precede the earliest of registration, first sighting and first order). Not a
    -- customer whose first row is the table's first date: the window cut that history off.
    select dc.customer_id
    from {{ ref('dim_customers') }} as dc
    left join first_rows as fr on fr.customer_id = dc.customer_id
    where fr.customer_id is null
       or fr.first_state_date > greatest(
           {{ backfill.start }},
           (select min(fr2.first_state_date) from first_rows as fr2),
           least(
               {{ segmentation_local_date('dc.registered_at') }},
               {{ segmentation_local_date('dc.first_seen_at') }},
               {{ segmentation_local_date('dc.first_order_at') }}
           )
       )
),

new_customer_states as (
    -- those customers, before the recompute range (from their tenure start on; for customers
    -- already in the table, only the dates before their first row are kept below)
    {{ segmentation_customer_states(
        "select spine_date as eval_date from (" ~ segmentation_date_spine(backfill.start, backfill.end) ~ ") as spine",
        include_all_customers=false,
        customers_sql="select bc.customer_id from backfill_customers as bc"
    ) }}
),

backfill_states as (
    select ns.*
    from new_customer_states as ns
    left join first_rows as fr on fr.customer_id = ns.customer_id
    where fr.customer_id is null or ns.eval_date < fr.first_state_date
),

backfilled as (
    {{ state_columns_sql }}
    from backfill_states
),

carried as (
    -- the rows already in the table on the backfilled dates: those dates are replaced entirely
    select {{ columns | join(', ') }}
    from {{ this }}
    where state_date in (select bf.state_date from backfilled as bf)
)

select {{ columns | join(', ') }} from recomputed
union all
select {{ columns | join(', ') }} from backfilled
union all
select {{ columns | join(', ') }} from carried
{%- else %}

select {{ columns | join(', ') }} from recomputed
{%- endif %}
