{%- set spec = spec_pos__footfall() %}

with typed as (
    {{ staging_select(source('pos', 'footfall'), spec, stores=ref('stores')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    store_id,
    sensor_id,
    hour_start_at,
    entries,
    exits,
    _source_file,
    _line_number,
    _loaded_at
from deduped
