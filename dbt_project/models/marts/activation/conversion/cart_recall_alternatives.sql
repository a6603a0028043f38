{#- Out-of-stock recalls of the recall window: up to similar_max_items similar items at the same
    price per cart (seed cart_recall_parameters). Similar: same category, another sku, in stock
    and priced within similar_price_tolerance_percent of the cart price (edges included), by
    their latest view within sku_lookback_days up to the as-of date (the app shows the current
    price and stock on every view). Closest price first, then sku. -#}

{%- set p = 'cart_recall_parameters' %}

with params as (

    select
        {{ segmentation_as_of_date() }} as as_of_date,
        {{ activation_parameter(p, 'similar_price_tolerance_percent', 'decimal(18, 4)') }} as tolerance_percent,
        {{ activation_parameter(p, 'similar_max_items', 'integer') }} as max_items,
        {{ activation_parameter(p, 'sku_lookback_days', 'integer') }} as lookback_days

),

views as (

    select
        e.sku,
        e.category,
        e.price_cny,
        e.stock_status,
        row_number() over (partition by e.sku order by e.event_at desc, e.event_id desc) as recency
    from {{ ref('stg_app__events') }} as e
    cross join params as pr
    where e.event_type = 'view'
      and e.sku is not null
      and e.category is not null
      and e.price_cny is not null
      and {{ segmentation_local_date_within(
            'e.event_at', dbt.dateadd('day', '-1 * pr.lookback_days', 'pr.as_of_date'), 'pr.as_of_date') }}

),

in_stock_skus as (

    select sku, category, price_cny
    from views
    where recency = 1 and coalesce(stock_status, 'in_stock') <> 'out_of_stock'

),

recalls as (

    select trigger_id, customer_id, as_of_date, sku, category, cart_price_cny
    from {{ ref('cart_recalls') }}
    where recall_reason = 'out_of_stock' and is_in_recall_window and cart_price_cny is not null

),

candidates as (

    select
        r.trigger_id,
        r.customer_id,
        r.as_of_date,
        r.sku,
        r.category,
        r.cart_price_cny,
        s.sku as alternative_sku,
        s.price_cny as alternative_price_cny,
        abs(s.price_cny - r.cart_price_cny) as price_gap_cny,
        row_number() over (
            partition by r.trigger_id
            order by abs(s.price_cny - r.cart_price_cny), s.sku
        ) as alternative_rank,
        pr.max_items
    from recalls as r
    cross join params as pr
    inner join in_stock_skus as s
        on s.category = r.category and s.sku <> r.sku
    where abs(s.price_cny - r.cart_price_cny) <= r.cart_price_cny * pr.tolerance_percent / 100

)

select
    cast({{ dbt.hash("c.trigger_id || '|' || c.alternative_sku") }} as {{ dbt.type_string() }}) as alternative_id,
    cast(c.trigger_id as {{ dbt.type_string() }}) as trigger_id,
    cast(c.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(c.as_of_date as date) as as_of_date,
    cast(c.sku as {{ dbt.type_string() }}) as sku,
    cast(c.category as {{ dbt.type_string() }}) as category,
    cast(c.cart_price_cny as decimal(18, 2)) as cart_price_cny,
    cast(c.alternative_rank as integer) as alternative_rank,
    cast(c.alternative_sku as {{ dbt.type_string() }}) as alternative_sku,
    cast(c.alternative_price_cny as decimal(18, 2)) as alternative_price_cny,
    cast(c.price_gap_cny as decimal(18, 2)) as price_gap_cny
from candidates as c
where c.alternative_rank <= c.max_items
