{%- set spec = spec_community__groups() %}

with typed as (
    {{ staging_select(source('community', 'groups'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    group_id,
    group_name,
    theme,
    created_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
