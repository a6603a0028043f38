{%- set spec = spec_ads__spend_daily() %}

with typed as (
    {{ staging_select(source('ads', 'spend_daily'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    spend_date,
    channel,
    spend_cny,
    _source_file,
    _line_number,
    _loaded_at
from deduped
