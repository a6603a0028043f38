{#- Incremental models that replace rows by key, per engine (adapter.dispatch):
      * DuckDB (and engines with delete+insert): delete+insert on the model's unique_key - the
        staged models (keyed by their business key) and the date-replacing marts
        (customer_state_daily, the audience snapshots, keyed by one date column).
      * Spark (plain Parquet, no merge; delete+insert does not exist there): insert_overwrite.
        A date-replacing mart is partitioned by its date (replace_rows_partition_by), so the run
        replaces exactly the partitions it writes. A staged model is keyed, not partitioned, so
        insert_overwrite replaces the whole table: staging re-reads all raw rows
        (incremental_reads_new_rows_only() is false) - correct and idempotent, not incremental.
        Incremental staging on Spark needs a table format with merge (docs/spark.md).
    replace_rows_strategy() goes to incremental_strategy, replace_rows_partition_by(column) to
    partition_by. -#}
{% macro replace_rows_strategy() -%}
    {{ return(adapter.dispatch('replace_rows_strategy', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__replace_rows_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}
{% macro spark__replace_rows_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro replace_rows_partition_by(column) -%}
    {{ return(adapter.dispatch('replace_rows_partition_by', 'marketing_lakehouse')(column)) }}
{%- endmacro %}
{% macro default__replace_rows_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}
{% macro spark__replace_rows_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}

{#- Whether an incremental run reads only what changed in its inputs (true) or all of them (false
    on Spark, where replace_rows_strategy() rewrites the whole table). Asked by incremental staging
    and quarantine models and by int_app_events_resolved. -#}
{% macro incremental_reads_new_rows_only() -%}
    {{ return(adapter.dispatch('incremental_reads_new_rows_only', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__incremental_reads_new_rows_only() -%}
    {{ return(true) }}
{%- endmacro %}
{% macro spark__incremental_reads_new_rows_only() -%}
    {{ return(false) }}
{%- endmacro %}
