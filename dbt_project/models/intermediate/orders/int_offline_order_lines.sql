{#- POS receipt lines. One row per receipt_line_id. No refunds offline (POS returns are not in
    the feed); a negative line value is floored at 0. -#}

select
    receipt_line_id as order_line_id,
    receipt_id as order_id,
    line_no,
    sku,
    category,
    brand,
    quantity,
    unit_price_cny,
    cast(coalesce(discount_cny, 0) as decimal(18, 2)) as discount_cny,
    cast(quantity * unit_price_cny as decimal(18, 2)) as gross_amount_cny,
    cast(case when net_amount_cny > 0 then net_amount_cny else 0 end as decimal(18, 2)) as goods_value_cny,
    cast(0 as decimal(18, 2)) as refunded_amount_cny,
    cast(case when net_amount_cny > 0 then net_amount_cny else 0 end as decimal(18, 2)) as net_amount_cny
from {{ ref('stg_pos__receipt_lines') }}
