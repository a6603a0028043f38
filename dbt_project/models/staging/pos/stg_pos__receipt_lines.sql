{#- Incremental on the landing time (see stg_app__events for the lookback rule): the key's
    newest landed copy wins, as in a full build (spec order: _loaded_at desc first). -#}
{%- set spec = spec_pos__receipt_lines() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('pos', 'receipt_lines'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    {{ dbt.concat(['receipt_id', "'-'", dbt.safe_cast('line_no', dbt.type_string())]) }} as receipt_line_id,
    receipt_id,
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
