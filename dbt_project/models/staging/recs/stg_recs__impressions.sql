{%- set spec = spec_recs__impressions() %}

with typed as (
    {{ staging_select(source('recs', 'impressions'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    impression_date,
    sku,
    slot,
    platform,
    impressions,
    clicks,
    _source_file,
    _line_number,
    _loaded_at
from deduped
