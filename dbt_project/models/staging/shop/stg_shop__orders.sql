{#- One row per order_id (incremental; see stg_app__events for the lookback rule). -#}
{%- set spec = spec_shop__orders() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('shop', 'orders'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    order_id,
    user_id,
    device_id,
    ordered_at,
    cast(ordered_at as date) as order_date,
    status,
    channel,
    platform,
    region_code,
    receiver_phone_hash,
    items_amount_cny,
    discount_cny,
    coupon_cny,
    shipping_fee_cny,
    pay_amount_cny,
    _source_file,
    _line_number,
    _loaded_at
from deduped
