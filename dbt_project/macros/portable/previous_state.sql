{#- A model that reads its own previous state ({{ this }}) while replacing it. DuckDB builds the
    new table aside and swaps it in, so the query can read {{ this }} directly. dbt-spark's table
    materialization on plain Parquet drops the old table before running the query, so on Spark a
    pre-hook first copies the columns the model needs into a side table
    (<model>__previous_state), and the model reads that.

    previous_state_relation(): the relation to read the previous state from.
    previous_state_drop_sql() / previous_state_copy_sql(columns): the two pre-hooks (empty, so
    skipped, on DuckDB); the copy runs only when the model's table exists with every column. -#}
{% macro previous_state_relation() -%}
    {{ return(adapter.dispatch('previous_state_relation', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__previous_state_relation() -%}
    {{ return(this) }}
{%- endmacro %}
{% macro spark__previous_state_relation() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__previous_state'})) }}
{%- endmacro %}

{% macro previous_state_drop_sql() -%}
    {{ return(adapter.dispatch('previous_state_drop_sql', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__previous_state_drop_sql() -%}
{%- endmacro %}
{% macro spark__previous_state_drop_sql() -%}
    drop table if exists {{ previous_state_relation() }}
{%- endmacro %}

{% macro previous_state_copy_sql(columns) -%}
    {{ return(adapter.dispatch('previous_state_copy_sql', 'marketing_lakehouse')(columns)) }}
{%- endmacro %}
{% macro default__previous_state_copy_sql(columns) -%}
{%- endmacro %}
{% macro spark__previous_state_copy_sql(columns) -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=this.database, schema=this.schema, identifier=this.identifier) -%}
        {%- if existing is not none -%}
            {%- set have = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
            {%- if columns | reject('in', have) | list | length == 0 -%}
                create table {{ previous_state_relation() }} using parquet as
                select distinct {{ columns | join(', ') }} from {{ existing }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
