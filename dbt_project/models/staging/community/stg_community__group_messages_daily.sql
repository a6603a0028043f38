{%- set spec = spec_community__group_messages_daily() %}

with typed as (
    {{ staging_select(source('community', 'group_messages_daily'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    group_id,
    message_date,
    message_count,
    _source_file,
    _line_number,
    _loaded_at
from deduped
