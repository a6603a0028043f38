{%- set spec = spec_social__tags() %}

with typed as (
    {{ staging_select(source('social', 'tags'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    phone_hash,
    platform,
    tag,
    confidence,
    observed_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
