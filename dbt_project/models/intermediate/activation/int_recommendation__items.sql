{#- The items recommendations can offer: one row per sku sold in a counted order of the rules
    window (int_recommendation__basket_items), with its category, brand, current price (the unit
    price of its latest sale; ties: the highest order_id) and popularity (baskets holding it).
    A sku not sold in the window is not offered: it may be delisted or out of stock. -#}

with sales as (

    select
        sku,
        category,
        brand,
        unit_price_cny,
        ordered_at,
        row_number() over (partition by sku order by ordered_at desc, order_id desc) as recency_rank,
        count(*) over (partition by sku) as basket_count
    from {{ ref('int_recommendation__basket_items') }}

)

select
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(brand as {{ dbt.type_string() }}) as brand,
    cast(unit_price_cny as decimal(18, 2)) as price_cny,
    cast(basket_count as integer) as basket_count,
    cast(ordered_at as {{ dbt.type_timestamp() }}) as last_sold_at
from sales
where recency_rank = 1
