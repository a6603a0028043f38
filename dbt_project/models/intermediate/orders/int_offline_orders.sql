{#- POS receipts as orders. One row per receipt_id. Amounts from the lines when the receipt has
    lines, otherwise from the header (total_cny paid, total + discount gross). -#}

with lines as (

    select
        order_id,
        sum(gross_amount_cny) as gross_amount_cny,
        sum(net_amount_cny) as net_amount_cny,
        sum(quantity) as item_count
    from {{ ref('int_offline_order_lines') }}
    group by order_id

)

select
    r.receipt_id as order_id,
    r.store_id,
    r.member_card_no,
    r.phone_hash,
    r.receipted_at as ordered_at,
    cast(coalesce(l.gross_amount_cny, r.total_cny + coalesce(r.discount_cny, 0)) as decimal(18, 2))
        as gross_amount_cny,
    cast(coalesce(r.discount_cny, 0) as decimal(18, 2)) as discount_cny,
    cast(0 as decimal(18, 2)) as shipping_fee_cny,
    cast(r.total_cny as decimal(18, 2)) as paid_amount_cny,
    cast(0 as decimal(18, 2)) as refunded_amount_cny,
    cast(coalesce(l.net_amount_cny, case when r.total_cny > 0 then r.total_cny else 0 end)
         as decimal(18, 2)) as net_amount_cny,
    cast(coalesce(l.item_count, 0) as integer) as item_count,
    coalesce(r.discount_cny, 0) > 0 as has_discount
from {{ ref('stg_pos__receipts') }} as r
left join lines as l on l.order_id = r.receipt_id
