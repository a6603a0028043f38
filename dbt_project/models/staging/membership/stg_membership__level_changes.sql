{%- set spec = spec_membership__level_changes() %}

with typed as (
    {{ staging_select(source('membership', 'level_changes'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    change_id,
    member_id,
    from_level,
    to_level,
    changed_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
