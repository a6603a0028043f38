{#- Customer-mart helpers for engine-specific SQL (dbt adapter.dispatch). Staged timestamps are
    naive UTC; marketing reports in a local zone (var `reporting_timezone`, default Asia/Shanghai). -#}

{% macro cm_reporting_timezone() -%}
    {{- return(var('reporting_timezone', 'Asia/Shanghai')) -}}
{%- endmacro %}

{#- Naive UTC timestamp -> naive local wall-clock timestamp in `tz`. -#}
{% macro cm_to_local_timestamp(ts, tz=none) -%}
    {{- return(adapter.dispatch('cm_to_local_timestamp', 'marketing_lakehouse')(ts, tz or cm_reporting_timezone())) -}}
{%- endmacro %}

{% macro default__cm_to_local_timestamp(ts, tz) -%}
    cast(((cast({{ ts }} as timestamp) at time zone 'UTC') at time zone '{{ tz }}') as timestamp)
{%- endmacro %}

{% macro duckdb__cm_to_local_timestamp(ts, tz) -%}
    cast(timezone('{{ tz }}', timezone('UTC', cast({{ ts }} as timestamp))) as timestamp)
{%- endmacro %}

{% macro spark__cm_to_local_timestamp(ts, tz) -%}
    from_utc_timestamp(cast({{ ts }} as timestamp), '{{ tz }}')
{%- endmacro %}

{#- Local calendar date of a naive UTC timestamp. -#}
{% macro cm_local_date(ts, tz=none) -%}
    cast({{ cm_to_local_timestamp(ts, tz) }} as date)
{%- endmacro %}

{#- ISO weekday (1 = Monday .. 7 = Sunday) of a timestamp or date. -#}
{% macro cm_iso_weekday(ts) -%}
    {{- return(adapter.dispatch('cm_iso_weekday', 'marketing_lakehouse')(ts)) -}}
{%- endmacro %}

{% macro default__cm_iso_weekday(ts) -%}
    cast(extract(isodow from {{ ts }}) as integer)
{%- endmacro %}

{% macro spark__cm_iso_weekday(ts) -%}
    cast(extract(DAYOFWEEK_ISO from {{ ts }}) as int)
{%- endmacro %}

{#- Hour of day (0-23). -#}
{% macro cm_hour(ts) -%}
    cast(extract(hour from {{ ts }}) as integer)
{%- endmacro %}

{#- Median of a numeric expression (aggregate). -#}
{% macro cm_median(expr) -%}
    {{- return(adapter.dispatch('cm_median', 'marketing_lakehouse')(expr)) -}}
{%- endmacro %}

{% macro default__cm_median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__cm_median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__cm_median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}
