{#- App events attributed to a customer: the resolved user_id when logged in, else the resolved
    device_id, else the resolved openid. Events carrying only excluded identifiers (a shared
    in-store tablet used anonymously) have no customer and are left out.
    One row per event_id.

    Incremental (where incremental_reads_new_rows_only()): an event's customer changes only when
    the event is restaged or one of its identifiers changes customer, so a run re-resolves just
      * the events staged since its last run (stg_app__events._loaded_at), and
      * the events carrying an identifier that int_identity_mapping_history recorded as new,
        reassigned or removed since its last run,
    and replaces them by event_id. A re-resolved event with no customer any more (its identifiers
    now excluded or gone) is written with a null customer and deleted by the post-hook, so it
    leaves the table; so does an event no longer staged (stg_app__events rebuilt with
    --full-refresh after a rule change; an anti-join, under a second at scale m). How far each
    input was read is recorded in dbt_state.watermarks (in this model's transaction); without a
    record every event is re-resolved. The history watermark is exclusive: a history row carries
    its invocation's start (to the second), and the invocation that recorded the mark had
    finished before the next one started. (Inclusive, it re-resolved every event on the first
    incremental run after a full build, whose history rows all carry one time.) -#}
{%- set changes_only = is_incremental() and incremental_reads_new_rows_only() %}
{{ config(
    materialized='incremental',
    unique_key='event_id',
    incremental_strategy=replace_rows_strategy(),
    on_schema_change='append_new_columns',
    post_hook=[
        "{{ delete_unattributed_events() }}",
        "{{ record_watermark('stg_app__events', '(select max(_loaded_at) from ' ~ ref('stg_app__events') ~ ')') }}",
        "{{ record_watermark('int_identity_mapping_history', '(select max(recorded_at) from ' ~ ref('int_identity_mapping_history') ~ ')') }}",
    ]
) }}
-- depends_on: {{ ref('int_identity_mapping_history') }}
{%- set epoch = try_cast_to("'1900-01-01'", dbt.type_timestamp()) %}

with resolved as (

    select identifier_key, customer_id from {{ ref('int_identifiers_resolved') }}

),

{%- if changes_only %}

reassigned as (

    select identifier_key
    from {{ ref('int_identity_mapping_history') }}
    where recorded_at > coalesce({{ read_watermark('int_identity_mapping_history') }}, {{ epoch }})

),

-- the events to re-resolve, in one scan of the staged events comparing the identifiers as
-- staged (no key built per event). Selected before the joins below: a filter after them (the
-- identifier tests are semi-joins, which DuckDB does not push below left joins) resolved all
-- 47 M events at scale l (12.5 s; 4.4 s this way, 13.9 s with a union of three joins before)
events as (

    select *
    from {{ ref('stg_app__events') }} as e
    where {{ lookback_since_watermark('e._loaded_at', 'stg_app__events') }}
    {%- for identifier in ['user_id', 'device_id', 'openid'] %}
        or e.{{ identifier }} in (
            select substr(r.identifier_key, {{ identifier | length + 2 }})
            from reassigned as r
            where r.identifier_key like '{{ identifier }}:%'
        )
    {%- endfor %}

),

{%- else %}

events as (

    select * from {{ ref('stg_app__events') }}

),

{%- endif %}

attributed as (

    select
        e.event_id,
        coalesce(ru.customer_id, rd.customer_id, ro.customer_id) as customer_id,
        e.event_type,
        e.event_at,
        e.session_id,
        e.platform,
        e.channel,
        e.sku,
        e.category,
        e.quantity,
        e.order_id
    from events as e
    left join resolved as ru on ru.identifier_key = 'user_id:' || e.user_id
    left join resolved as rd on rd.identifier_key = 'device_id:' || e.device_id
    left join resolved as ro on ro.identifier_key = 'openid:' || e.openid

)

select *
from attributed
{%- if not changes_only %}
where customer_id is not null
{%- endif %}
