{#- app_sessions_select(only_sessions=none): int_app_sessions' rows, aggregated from
    stg_app__events; only_sessions, a query returning session_id, restricts them. -#}
{% macro app_sessions_select(only_sessions=none) -%}
    select
        cast(e.session_id as {{ dbt.type_string() }}) as session_id,
        cast(min(e.event_at) as {{ dbt.type_timestamp() }}) as started_at,
        cast({{ segmentation_local_date('min(e.event_at)') }} as date) as session_date,
        cast(min(e.platform) as {{ dbt.type_string() }}) as platform,
        cast(max(case when e.event_type = 'pay' then 1 else 0 end) as integer) as is_converted,
        cast(count(*) as bigint) as event_count
    from {{ ref('stg_app__events') }} as e
    where e.session_id is not null
    {%- if only_sessions %}
        and e.session_id in ({{ only_sessions }})
    {%- endif %}
    group by e.session_id
{%- endmacro %}

{#- app_sessions_add_up(touched): whether rebuilding only the sessions of query `touched` leaves
    int_app_sessions right, asked (run_query) when the model is rendered, before it runs: the
    event counts of the sessions it keeps plus the staged events of the touched sessions must
    equal the staged events with a session. An event that left a kept session (moved to
    another, or no longer staged) makes the kept counts one too high. -#}
{% macro app_sessions_add_up(touched) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set events = ref('stg_app__events') -%}
    {%- set counts = run_query(
        "with touched as (" ~ touched ~ ") select "
        ~ "(select coalesce(sum(t.event_count), 0) from " ~ this ~ " as t"
        ~ " where t.session_id not in (select session_id from touched)), "
        ~ "(select count(*) from " ~ events ~ " as e"
        ~ " where e.session_id in (select session_id from touched)), "
        ~ "(select count(*) from " ~ events ~ " where session_id is not null)"
    ) -%}
    {%- set kept, rebuilt, staged = counts.rows[0][0], counts.rows[0][1], counts.rows[0][2] -%}
    {%- if kept + rebuilt != staged -%}
        {{ log("int_app_sessions: kept sessions hold " ~ kept ~ " events and rebuilt ones "
               ~ rebuilt ~ ", but " ~ staged ~ " are staged with a session (an event moved"
               ~ " or left): rebuilding every session", info=true) }}
        {{ return(false) }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}

{#- Post-hook of int_app_sessions: a run that rebuilt every session wrote those left with no
    staged event as event_count 0 (delete+insert cannot delete a key); they go here. -#}
{% macro delete_app_sessions_without_events() -%}
    {%- if incremental_reads_new_rows_only() -%}
    delete from {{ this }} where event_count = 0
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
