{#- Run state kept in the warehouse by dbt itself (not data: a schema of its own keeps it out of
    the layers BI and reports read).

    quarantine_watermarks: how far each quarantine model has read its raw sources, one row per
    model (macros/staging/cleaning.sql, quarantine_lookback_filter). Created once per invocation
    by on-run-start: created inside the models' transactions, parallel models would conflict.
    Not on Spark, where incremental staging re-reads everything (staging_reads_new_rows_only). -#}
{% macro quarantine_watermark_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_state',
                                  identifier='quarantine_watermarks')) }}
{%- endmacro %}

{% macro create_run_state_tables() -%}
    {{ return(adapter.dispatch('create_run_state_tables', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__create_run_state_tables() -%}
    {%- set wm = quarantine_watermark_relation() -%}
    create schema if not exists {{ wm.schema }};
    create table if not exists {{ wm }} (
        model_name {{ dbt.type_string() }}, processed_to {{ dbt.type_timestamp() }})
{%- endmacro %}
{% macro spark__create_run_state_tables() -%}
    select 1
{%- endmacro %}
