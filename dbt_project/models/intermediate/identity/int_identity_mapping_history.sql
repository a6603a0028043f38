{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Append-only history of identifier -> customer assignments (one row per identifier per run in
    which its assignment changed). The latest row per identifier is the mapping as of the last run;
    each run compares it with int_identifiers_resolved and appends only differences, so a rerun on
    the same data appends nothing (idempotent). The first run (or --full-refresh) records every
    identifier as new. Feeds identity_change_log. -#}

{%- set run_ts = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)" %}

with current_mapping as (

    select identifier_key, customer_id
    from {{ ref('int_identifiers_resolved') }}

),

previous_mapping as (

    {% if is_incremental() %}
    select identifier_key, customer_id
    from (
        select
            identifier_key,
            customer_id,
            row_number() over (partition by identifier_key order by recorded_at desc) as recency
        from {{ this }}
    ) as h
    where recency = 1
    {% else %}
    select
        cast(null as {{ dbt.type_string() }}) as identifier_key,
        cast(null as {{ dbt.type_string() }}) as customer_id
    where 1 = 0
    {% endif %}

),

excluded as (

    select identifier_key from {{ ref('int_identity_guard') }}

),

compared as (

    select
        coalesce(c.identifier_key, p.identifier_key) as identifier_key,
        c.customer_id,
        p.customer_id as previous_customer_id,
        case
            when p.identifier_key is null or p.customer_id is null then 'new_identifier'
            when c.identifier_key is null and x.identifier_key is not null then 'excluded_by_guard'
            when c.identifier_key is null then 'no_longer_observed'
            else 'reassigned'
        end as change_reason
    from current_mapping as c
    full outer join previous_mapping as p on p.identifier_key = c.identifier_key
    left join excluded as x on x.identifier_key = coalesce(c.identifier_key, p.identifier_key)
    where
        -- new, or seen again after having been removed
        (c.identifier_key is not null and (p.identifier_key is null or p.customer_id is null))
        -- removed (excluded by the guard, or erased) since the last run
        or (c.identifier_key is null and p.customer_id is not null)
        -- moved to another customer
        or (c.customer_id <> p.customer_id)

)

select
    identifier_key,
    customer_id,
    previous_customer_id,
    change_reason,
    {{ run_ts }} as recorded_at
from compared
