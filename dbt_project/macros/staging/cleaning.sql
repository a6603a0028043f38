{#- Typing helpers. All use safe casts: a bad value becomes NULL and the row is quarantined by
    staging_select (never a failed build). -#}

{% macro to_money(expr) -%}
    {{ try_cast_to(expr, 'decimal(18,2)') }}
{%- endmacro %}

{% macro to_int(expr) -%}
    {{ try_cast_to(expr, dbt.type_int()) }}
{%- endmacro %}

{% macro to_number(expr) -%}
    {{ try_cast_to(expr, dbt.type_float()) }}
{%- endmacro %}

{#- normalise_gender(expr) -> 'M' / 'F' / NULL. M, male, 男 -> M; F, female, 女 -> F (any case,
    trimmed); empty/NULL -> NULL; anything else -> NULL too (staging_select quarantines it). -#}
{% macro normalise_gender(expr) -%}
    (case
        when lower({{ expr }}) in ('m', 'male', '男') then 'M'
        when lower({{ expr }}) in ('f', 'female', '女') then 'F'
    end)
{%- endmacro %}

{#- incremental_lookback_filter(col): on incremental runs, read the raw rows landed since the
    newest row already in the target. A landing run stamps all its rows with one _loaded_at, and
    landing and dbt never overlap (DuckDB has one writer), so every raw row of the newest staged
    landing run was read by the run that staged it: those rows are skipped (after a backfill they
    are the whole history). Rows of other landing runs within var('staging_lookback_hours') before
    it are read again: a margin for clock adjustments. Late and re-delivered records land later
    than what is staged, so they are read; delete+insert on the unique key makes re-runs
    idempotent, and the newest landing always wins the dedup, so re-reading older rows is never
    needed. The work of an incremental run follows what was landed since, not the history. -#}
{% macro incremental_lookback_filter(col='_loaded_at', newest=none) -%}
    {%- if is_incremental() and incremental_reads_new_rows_only() -%}
        {%- set newest = newest or "(select coalesce(max(_loaded_at), " ~ try_cast_to("'1900-01-01'", dbt.type_timestamp()) ~ ") from " ~ this ~ ")" -%}
        ({{ col }} >= {{ dbt.dateadd('hour', -1 * var('staging_lookback_hours') | int, newest) }}
        and {{ col }} <> {{ newest }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- quarantine_lookback_filter(col): incremental_lookback_filter for a quarantine model, whose
    rows (rejects only) cannot tell how far it has read: a source without rejects would leave it
    empty and every run would re-read the whole history. So the newest landing run it has read is
    recorded after each run (record_quarantine_watermark) and the filter starts from there.
    Without a record yet (a warehouse built before it existed), the newest quarantined row is
    used, as for staging. -#}
{% macro quarantine_lookback_filter(col='_loaded_at') -%}
    {#- The watermark is read only where it is written: Spark's target has no database. -#}
    {%- if is_incremental() and incremental_reads_new_rows_only() -%}
        {%- set newest -%}
            coalesce(
                {{ read_watermark('raw sources') }},
                (select max(_loaded_at) from {{ this }}),
                {{ try_cast_to("'1900-01-01'", dbt.type_timestamp()) }})
        {%- endset -%}
        {{ incremental_lookback_filter(col, newest='(' ~ newest ~ ')') }}
    {%- else -%}
        {{ incremental_lookback_filter(col) }}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of every quarantine model: record the newest _loaded_at of its raw sources, all of
    which this run has read (landing and dbt never overlap). The table:
    macros/portable/run_state.sql. -#}
{% macro record_quarantine_watermark() -%}
    {%- set newest -%}
        (select max(_loaded_at) from (
            {%- for s in model.sources %}
            select max(_loaded_at) as _loaded_at from {{ source(s[0], s[1]) }}
            {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
        ) as sources)
    {%- endset -%}
    {{ record_watermark('raw sources', newest) }}
{%- endmacro %}
