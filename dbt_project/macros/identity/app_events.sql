{#- Post-hook of the incremental int_app_events_resolved: remove the events that no longer have
    a customer (re-resolved with a null one) and those no longer staged. A no-op on Spark, where
    every run re-resolves all events and writes none without a customer. -#}
{% macro delete_unattributed_events() -%}
    {%- if incremental_reads_new_rows_only() -%}
    delete from {{ this }} as r
    where
        r.customer_id is null
        or not exists (
            select 1 from {{ ref('stg_app__events') }} as s where s.event_id = r.event_id
        )
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
