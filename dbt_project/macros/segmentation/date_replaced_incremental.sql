{#- Incremental models that replace whole dates (customer_state_daily, the audience snapshots):
    each run rewrites every row of the dates it recomputes, keyed by one date column.
      * DuckDB: delete+insert on that date (unique_key), no partitioning.
      * Spark (plain Parquet, no merge): insert_overwrite of the table partitioned by that date,
        which replaces exactly the partitions the run writes.
    date_replace_strategy() goes to incremental_strategy, date_replace_partition_by(column) to
    partition_by. -#}
{% macro date_replace_strategy() -%}
    {{ return(adapter.dispatch('date_replace_strategy', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__date_replace_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}
{% macro spark__date_replace_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{% macro date_replace_partition_by(column) -%}
    {{ return(adapter.dispatch('date_replace_partition_by', 'marketing_lakehouse')(column)) }}
{%- endmacro %}
{% macro default__date_replace_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}
{% macro spark__date_replace_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}
