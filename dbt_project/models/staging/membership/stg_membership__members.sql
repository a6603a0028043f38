{%- set spec = spec_membership__members() %}

with typed as (
    {{ staging_select(source('membership', 'members'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    member_id,
    card_no,
    user_id,
    phone_hash,
    email_hash,
    national_id_hash,
    gender,
    birth_date,
    registered_at,
    register_channel,
    register_store_id,
    region_code,
    _source_file,
    _line_number,
    _loaded_at
from deduped
