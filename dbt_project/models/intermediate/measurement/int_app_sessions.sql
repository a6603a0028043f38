{#- App sessions: one row per session_id of the staged app events (events without a session are
    left out). started_at is the first event's time (naive UTC), session_date its local date in
    var reporting_timezone; platform the smallest of its events' platforms; is_converted 1 when
    it holds a pay event; event_count its events. kpi_daily's conversion rate counts these.

    Incremental (where incremental_reads_new_rows_only()): a run rebuilds only the sessions of
    the events staged since its last run (stg_app__events._loaded_at, watermark in
    dbt_state.watermarks) and replaces them by session_id. An event can also leave a session
    without touching it: re-delivered with another session_id, or no longer staged (staging
    rebuilt with --full-refresh); its old session would keep one event too many. So before the
    run, the event counts of the sessions it keeps plus the staged events of the sessions it
    rebuilds must add up to all staged events with a session (counts, no join over all events);
    when they do not, the run rebuilds every session, and sessions with no staged event left
    are written with event_count 0 and deleted by the post-hook. Changing var
    reporting_timezone needs a --full-refresh of this model. -#}
{%- set changes_only = is_incremental() and incremental_reads_new_rows_only() %}
{{ config(
    materialized='incremental',
    unique_key='session_id',
    incremental_strategy=replace_rows_strategy(),
    on_schema_change='fail',
    post_hook=[
        "{{ delete_app_sessions_without_events() }}",
        "{{ record_watermark('stg_app__events', '(select max(_loaded_at) from ' ~ ref('stg_app__events') ~ ')') }}",
    ]
) }}

{%- if changes_only %}
{%- set touched %}
    select distinct s.session_id
    from {{ ref('stg_app__events') }} as s
    where s.session_id is not null
        and {{ lookback_since_watermark('s._loaded_at', 'stg_app__events') }}
{%- endset %}
{%- if app_sessions_add_up(touched) %}
{{ app_sessions_select(only_sessions=touched) }}
{%- else %}
{{ app_sessions_select() }}
union all
select
    t.session_id,
    cast(null as {{ dbt.type_timestamp() }}) as started_at,
    cast(null as date) as session_date,
    cast(null as {{ dbt.type_string() }}) as platform,
    cast(0 as integer) as is_converted,
    cast(0 as bigint) as event_count
from {{ this }} as t
where not exists (
    select 1 from {{ ref('stg_app__events') }} as s where s.session_id = t.session_id
)
{%- endif %}
{%- else %}
{{ app_sessions_select() }}
{%- endif %}
