{%- set spec = spec_pos__receipts() %}

with typed as (
    {{ staging_select(source('pos', 'receipts'), spec, stores=ref('stores')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    receipt_id,
    store_id,
    receipted_at,
    cast({{ from_utc('receipted_at', '_tz') }} as date) as receipt_date_local,
    member_card_no,
    phone_hash,
    total_cny,
    discount_cny,
    payment_method,
    assistant_id,
    _source_file,
    _line_number,
    _loaded_at
from deduped
