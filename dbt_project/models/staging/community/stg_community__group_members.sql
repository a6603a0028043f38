{%- set spec = spec_community__group_members() %}

with typed as (
    {{ staging_select(source('community', 'group_members'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    group_id,
    user_id,
    openid_hash,
    joined_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
