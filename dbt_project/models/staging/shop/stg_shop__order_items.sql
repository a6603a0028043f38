{#- One row per order line, order_item_id = order_id || '-' || line_no (incremental, rows replaced on the spec's key order_id + line_no). -#}
{%- set spec = spec_shop__order_items() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('shop', 'order_items'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    {{ dbt.concat(['order_id', "'-'", dbt.safe_cast('line_no', dbt.type_string())]) }} as order_item_id,
    order_id,
    line_no,
    sku,
    category,
    brand,
    quantity,
    unit_price_cny,
    coalesce(discount_cny, 0) as discount_cny,
    cast(quantity * unit_price_cny - coalesce(discount_cny, 0) as decimal(18, 2)) as net_amount_cny,
    _source_file,
    _line_number,
    _loaded_at
from deduped
