{#- Incremental on the landing time (see stg_app__events for the lookback rule): the key's
    newest landed copy wins, as in a full build (spec order: _loaded_at desc first). -#}
{%- set spec = spec_logistics__shipments() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('logistics', 'shipments'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    shipment_id,
    order_id,
    carrier,
    region_code,
    receiver_phone_hash,
    promised_at,
    shipped_at,
    delivered_at,
    preferred_slot,
    case when delivered_at is null or promised_at is null then null else delivered_at > promised_at end
        as is_delivered_late,
    _source_file,
    _line_number,
    _loaded_at
from deduped
