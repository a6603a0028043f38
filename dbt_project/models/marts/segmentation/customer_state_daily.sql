{#- One row per customer per day: the RFM segment, lifecycle stage and membership tier the
    customer had on state_date, computed with exactly the rules of the as-of marts (macro
    segmentation_customer_states) as if state_date were the as-of date. Each run recomputes a
    date range (macro segmentation_state_date_range) and replaces those dates entirely
    (delete+insert keyed on state_date, insert_overwrite by partition on Spark), so reruns are
    idempotent and customers merged away by identity resolution disappear from recomputed days. -#}
{{ config(
    materialized='incremental',
    unique_key='state_date',
    incremental_strategy=('insert_overwrite' if target.type == 'spark' else 'delete+insert'),
    partition_by=(['state_date'] if target.type == 'spark' else none),
    on_schema_change='fail'
) }}

{%- set range = segmentation_state_date_range() %}

with states as (
    {{ segmentation_customer_states(
        "select spine_date as eval_date from (" ~ segmentation_date_spine(range.start, range.end) ~ ") as spine",
        include_all_customers=false
    ) }}
)

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
from states
