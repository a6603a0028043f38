{%- set spec = spec_dmp__segments() %}

with typed as (
    {{ staging_select(source('dmp', 'segments'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    device_id,
    segment_code,
    valid_from_date,
    score,
    valid_to_date,
    _source_file,
    _line_number,
    _loaded_at
from deduped
