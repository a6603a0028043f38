{#- to_utc(expr, tz) -> naive TIMESTAMP in UTC, or NULL when unparseable.

    expr: VARCHAR SQL expression. tz: SQL expression giving an IANA zone name, either a quoted
    literal (source_tz('shop') -> 'Asia/Shanghai') or a column (the store's timezone).
    Accepted in one column (docs/input_contract.md):
      * ISO-8601 with offset or Z: 2026-06-18T20:15:03+08:00, +0800, +08, Z -> that instant
      * naive local, space or T, optional seconds/fraction: read in zone tz
      * epoch milliseconds, 12-14 digits -> UTC instant
    Anything else (including impossible dates such as 2026-02-30) -> NULL; the caller quarantines
    the row when the column is required or was present. -#}
{% macro to_utc(expr, tz) -%}
    {{ return(adapter.dispatch('to_utc', 'marketing_lakehouse')(expr, tz)) }}
{%- endmacro %}

{% macro _ts_patterns() -%}
    {%- set dt = '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?' -%}
    {{ return({
        'epoch_ms': '[0-9]{12,14}',
        'with_offset': dt ~ '(Z|[+-][0-9]{2}(:?[0-9]{2})?)',
        'naive': dt,
    }) }}
{%- endmacro %}

{% macro duckdb__to_utc(expr, tz) -%}
    {%- set p = _ts_patterns() -%}
    (case
        when {{ regex_full_match(expr, p.epoch_ms) }}
            then epoch_ms(cast({{ expr }} as bigint))
        when {{ regex_full_match(expr, p.with_offset) }}
            then timezone('UTC', try_cast({{ expr }} as timestamptz))
        when {{ regex_full_match(expr, p.naive) }}
            then timezone('UTC', timezone({{ tz }}, try_cast({{ expr }} as timestamp)))
    end)
{%- endmacro %}

{#- Spark: run with spark.sql.session.timeZone=UTC so timestamps read back as UTC wall time. -#}
{% macro spark__to_utc(expr, tz) -%}
    {%- set p = _ts_patterns() -%}
    (case
        when {{ regex_full_match(expr, p.epoch_ms) }}
            then timestamp_millis(cast({{ expr }} as bigint))
        when {{ regex_full_match(expr, p.with_offset) }}
            then try_cast(replace({{ expr }}, ' ', 'T') as timestamp)
        when {{ regex_full_match(expr, p.naive) }}
            then to_utc_timestamp(try_cast({{ expr }} as timestamp), {{ tz }})
    end)
{%- endmacro %}

{#- from_utc(expr, tz): naive UTC TIMESTAMP -> naive local wall time in zone tz. -#}
{% macro from_utc(expr, tz) -%}
    {{ return(adapter.dispatch('from_utc', 'marketing_lakehouse')(expr, tz)) }}
{%- endmacro %}
{% macro duckdb__from_utc(expr, tz) -%}
    timezone({{ tz }}, timezone('UTC', {{ expr }}))
{%- endmacro %}
{% macro spark__from_utc(expr, tz) -%}
    from_utc_timestamp({{ expr }}, {{ tz }})
{%- endmacro %}

{#- to_date_safe(expr): 'YYYY-MM-DD' or 'YYYY/MM/DD', optionally followed by a time (ignored) ->
    DATE; anything else or an impossible date -> NULL. -#}
{% macro to_date_safe(expr) -%}
    (case when {{ regex_full_match(expr, '[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}([T ].*)?') }}
        then {{ try_cast_to("replace(substr(" ~ expr ~ ", 1, 10), '/', '-')", 'date') }}
    end)
{%- endmacro %}

{#- Source zone as a quoted SQL literal, from var('source_timezones') (config, not code). -#}
{% macro source_tz(source_name) -%}
    {%- set zones = var('source_timezones') -%}
    {%- if source_name not in zones -%}
        {{ exceptions.raise_compiler_error("No zone for source '" ~ source_name ~ "' in var('source_timezones')") }}
    {%- endif -%}
    '{{ zones[source_name] }}'
{%- endmacro %}
