{%- set spec = spec_pos__assistant_interactions() %}

with typed as (
    {{ staging_select(source('pos', 'assistant_interactions'), spec, stores=ref('stores')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    interaction_id,
    store_id,
    assistant_id,
    interacted_at,
    member_card_no,
    phone_hash,
    interaction_type,
    duration_s,
    _source_file,
    _line_number,
    _loaded_at
from deduped
