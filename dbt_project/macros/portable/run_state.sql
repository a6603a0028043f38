{#- Run state kept in the warehouse by dbt itself (not data: a schema of its own keeps it out of
    the layers BI and reports read).

    watermarks: how far an incremental model has read one of its inputs, one row per (model,
    input). Read by read_watermark, written by record_watermark in the model's post-hook (in its
    transaction, so a failed run records nothing). Users: the quarantine models
    (quarantine_lookback_filter) and int_app_events_resolved. Created once per invocation by
    on-run-start: created inside the models' transactions, parallel models would conflict.
    Not on Spark, where incremental models re-read everything (incremental_reads_new_rows_only). -#}
{% macro watermark_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_state',
                                  identifier='watermarks')) }}
{%- endmacro %}

{#- read_watermark(input_name): SQL scalar, the newest point of input_name this model has read
    (NULL when none is recorded). Call only where incremental_reads_new_rows_only(). -#}
{% macro read_watermark(input_name) -%}
    (select max(processed_to) from {{ watermark_relation() }}
     where model_name = '{{ this.identifier }}' and input_name = '{{ input_name }}')
{%- endmacro %}

{#- lookback_since_watermark(col, input_name): incremental_lookback_filter starting from the
    newest point of input_name this model has read (every row when none is recorded). -#}
{% macro lookback_since_watermark(col, input_name) -%}
    {%- set epoch = try_cast_to("'1900-01-01'", dbt.type_timestamp()) -%}
    {{ incremental_lookback_filter(
        col, newest='coalesce(' ~ read_watermark(input_name) ~ ', ' ~ epoch ~ ')') }}
{%- endmacro %}

{#- record_watermark(input_name, newest): post-hook SQL recording that this run has read
    input_name up to the scalar SQL expression newest. A no-op on Spark. -#}
{% macro record_watermark(input_name, newest) -%}
    {%- if incremental_reads_new_rows_only() -%}
        {%- set wm = watermark_relation() -%}
        delete from {{ wm }}
        where model_name = '{{ this.identifier }}' and input_name = '{{ input_name }}';
        insert into {{ wm }} (model_name, input_name, processed_to)
        select '{{ this.identifier }}', '{{ input_name }}', {{ newest }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- snapshot_fingerprints: per model and snapshot date of an input, the row count and the sum of
    the rows' 64-bit hashes the model last read (is_pending: computed by this run's pre-hook,
    recorded by its post-hook). A model compares them to skip what did not change; user:
    segment_migration (macros/segmentation/segment_migration.sql). -#}
{% macro snapshot_fingerprint_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema='dbt_state',
                                  identifier='snapshot_fingerprints')) }}
{%- endmacro %}

{% macro create_run_state_tables() -%}
    {{ return(adapter.dispatch('create_run_state_tables', 'marketing_lakehouse')()) }}
{%- endmacro %}
{% macro default__create_run_state_tables() -%}
    {%- set wm = watermark_relation() -%}
    create schema if not exists {{ wm.schema }};
    create table if not exists {{ wm }} (
        model_name {{ dbt.type_string() }},
        input_name {{ dbt.type_string() }},
        processed_to {{ dbt.type_timestamp() }});
    create table if not exists {{ snapshot_fingerprint_relation() }} (
        model_name {{ dbt.type_string() }},
        snapshot_date date,
        is_pending boolean,
        row_count bigint,
        hash_sum decimal(38, 0));
    {#- its predecessor (quarantine models only, until 2026-12-06): the watermarks start afresh -#}
    drop table if exists {{ wm.schema }}.quarantine_watermarks
{%- endmacro %}
{% macro spark__create_run_state_tables() -%}
    select 1
{%- endmacro %}
