{%- set spec = spec_recs__clicks() %}

with typed as (
    {{ staging_select(source('recs', 'clicks'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    click_id,
    clicked_at,
    user_id,
    device_id,
    sku,
    slot,
    platform,
    _source_file,
    _line_number,
    _loaded_at
from deduped
