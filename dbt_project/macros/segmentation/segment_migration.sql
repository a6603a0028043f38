{#- segment_migration's periods and its incremental bookkeeping. -#}

{#- segment_migration_periods(states): one row per reportable period of customer_state_daily
    (relation `states`): period_type (month, week), period_start, period_end, opening_date (the
    day before the start; the period is reportable only when that day is in `states`),
    closing_date (the latest state_date inside the period) and is_complete_period. -#}
{% macro segment_migration_periods(states) -%}
    with available_dates as (
        select distinct state_date from {{ states }}
    ),

    bounds as (
        select max(state_date) as max_state_date from available_dates
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
    )

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
{%- endmacro %}

{#- Pre-hook of segment_migration (incremental runs read only what changed, i.e. not on Spark):
    fingerprint every snapshot the periods need (their opening and closing dates) as this run
    sees it: row count and the sum of the 64-bit hashes of (customer, four dimensions). Written
    as pending rows of dbt_state.snapshot_fingerprints; the model compares them with the
    recorded ones, the post-hook records them. -#}
{% macro fingerprint_migration_snapshots() -%}
    {%- if incremental_reads_new_rows_only() -%}
    {%- set fp = snapshot_fingerprint_relation() -%}
    delete from {{ fp }} where model_name = '{{ this.identifier }}' and is_pending;
    insert into {{ fp }} (model_name, snapshot_date, is_pending, row_count, hash_sum)
    select
        '{{ this.identifier }}',
        st.state_date,
        true,
        count(*),
        cast(sum(cast(hash(st.customer_id, st.rfm_segment, st.recency_band, st.lifecycle_stage,
                           st.membership_tier) as hugeint)) as decimal(38, 0))
    from {{ ref('customer_state_daily') }} as st
    where st.state_date in (
        select unnest([pe.opening_date, pe.closing_date])
        from ({{ segment_migration_periods(ref('customer_state_daily')) }}) as pe
    )
    group by st.state_date
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of segment_migration: drop the periods no longer reportable (their opening date
    left customer_state_daily, so it has no pending fingerprint), then record the pending
    fingerprints as the ones this table was built from. -#}
{% macro record_migration_snapshots() -%}
    {%- if incremental_reads_new_rows_only() -%}
    {%- set fp = snapshot_fingerprint_relation() -%}
    delete from {{ this }}
    where opening_date not in (
        select snapshot_date from {{ fp }} where model_name = '{{ this.identifier }}' and is_pending
    );
    delete from {{ fp }} where model_name = '{{ this.identifier }}' and not is_pending;
    update {{ fp }} set is_pending = false where model_name = '{{ this.identifier }}'
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
