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
{% macro incremental_lookback_filter(col='_loaded_at') -%}
    {%- if is_incremental() and staging_reads_new_rows_only() -%}
        {%- set newest = "(select coalesce(max(_loaded_at), " ~ try_cast_to("'1900-01-01'", dbt.type_timestamp()) ~ ") from " ~ this ~ ")" -%}
        ({{ col }} >= (
            select {{ dbt.dateadd('hour', -1 * var('staging_lookback_hours') | int,
                                  'coalesce(max(_loaded_at), ' ~ try_cast_to("'1900-01-01'", dbt.type_timestamp()) ~ ')') }}
            from {{ this }}
        )
        and {{ col }} <> {{ newest }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Whether an incremental run of a staged model reads only newly landed raw rows (true) or all
    of them (false on Spark, where replace_rows_strategy() rewrites the whole table:
    macros/portable/incremental.sql). -#}
{% macro staging_reads_new_rows_only() -%}
    {{ return(adapter.dispatch('staging_reads_new_rows_only', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__staging_reads_new_rows_only() -%}
    {{ return(true) }}
{%- endmacro %}
{% macro spark__staging_reads_new_rows_only() -%}
    {{ return(false) }}
{%- endmacro %}
