{#- Post-hook of the incremental int_app_events_resolved: remove the events that no longer have
    a customer (re-resolved with a null one) and those no longer staged. -#}
{% macro delete_unattributed_events() -%}
    delete from {{ this }} as r
    where
        r.customer_id is null
        or not exists (
            select 1 from {{ ref('stg_app__events') }} as s where s.event_id = r.event_id
        )
{%- endmacro %}
