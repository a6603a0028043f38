{%- set spec = spec_live__attendance() %}

with typed as (
    {{ staging_select(source('live', 'attendance'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    session_id,
    user_id,
    openid_hash,
    joined_at,
    watch_seconds,
    _source_file,
    _line_number,
    _loaded_at
from deduped
