{%- set spec = spec_shop__payments() %}

with typed as (
    {{ staging_select(source('shop', 'payments'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    payment_id,
    order_id,
    paid_at,
    method,
    amount_cny,
    status,
    _source_file,
    _line_number,
    _loaded_at
from deduped
