{%- set spec = spec_live__sessions() %}

with typed as (
    {{ staging_select(source('live', 'sessions'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    session_id,
    title,
    category,
    host,
    start_at,
    planned_minutes,
    _source_file,
    _line_number,
    _loaded_at
from deduped
