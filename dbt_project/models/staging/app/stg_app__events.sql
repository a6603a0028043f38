{#- One row per event_id. Incremental: each run reads the raw rows landed since the newest row
    already staged (less var('staging_lookback_hours') of margin), deduplicates them (latest
    _loaded_at, then lowest file/line) and delete+inserts on event_id, so late copies of an event
    replace the staged one and a re-run changes nothing. -#}
{%- set spec = spec_app__events() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('app', 'events'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    event_id,
    event_type,
    event_at,
    cast(event_at as date) as event_date,
    user_id,
    device_id,
    openid,
    platform,
    channel,
    session_id,
    sku,
    category,
    price_cny,
    quantity,
    dwell_ms,
    search_query,
    stock_status,
    error_code,
    order_id,
    _source_file,
    _line_number,
    _loaded_at
from deduped
