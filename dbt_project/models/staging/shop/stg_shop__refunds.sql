{%- set spec = spec_shop__refunds() %}

with typed as (
    {{ staging_select(source('shop', 'refunds'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    refund_id,
    order_id,
    sku,
    refund_type,
    amount_cny,
    requested_at,
    completed_at,
    reason,
    _source_file,
    _line_number,
    _loaded_at
from deduped
