{#- Versioned audience snapshots: every run adds the members of its as-of date (one snapshot
    per snapshot_date; a re-run of the same date replaces that date, so runs are idempotent and
    a backfill with var as_of_date writes its own date). Snapshots older than
    var audience_snapshot_retention_days before the newest are dropped. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=replace_rows_strategy(),
    unique_key='snapshot_date',
    partition_by=replace_rows_partition_by('snapshot_date'),
    on_schema_change='append_new_columns',
    post_hook=[
        "delete from {{ this }} where snapshot_date < (select " ~ dbt.dateadd('day', -1 * (var('audience_snapshot_retention_days', 400) | int), 'max(snapshot_date)') ~ " from {{ this }})"
    ]
) }}

select
    audience_code,
    customer_id,
    offer_code,
    snapshot_date,
    holdout_bucket,
    is_holdout,
    channel
from {{ ref('audience_members') }}
