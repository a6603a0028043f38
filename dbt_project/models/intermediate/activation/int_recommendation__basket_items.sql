{#- The baskets recommendations learn from: one row per (order_id, sku) of every counted order
    (status paid, not fully refunded) dated within rules_window_days (seed
    recommendation_parameters) up to the as-of date, the as-of day included. Online orders and
    store receipts alike, anonymous receipts included: a basket says what goes together whoever
    bought it. A sku on two lines of one order is one item of the basket. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

counted_orders as (

    select o.order_id, o.customer_id, o.ordered_at, o.order_date
    from {{ ref('fct_orders') }} as o
    cross join as_of as a
    where o.status = 'paid'
      and not o.is_fully_refunded
      and o.order_date <= a.as_of_date
      and o.order_date > {{ dbt.dateadd(
            'day', '-1 * ' ~ activation_parameter('recommendation_parameters', 'rules_window_days'), 'a.as_of_date') }}

),

lines as (

    select
        l.order_id,
        l.sku,
        max(l.category) as category,
        max(l.brand) as brand,
        max(l.unit_price_cny) as unit_price_cny,
        sum(l.quantity) as quantity
    from {{ ref('fct_order_lines') }} as l
    where l.sku is not null
    group by l.order_id, l.sku

)

select
    cast(o.order_id as {{ dbt.type_string() }}) as order_id,
    cast(o.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(o.ordered_at as {{ dbt.type_timestamp() }}) as ordered_at,
    cast(o.order_date as date) as order_date,
    cast(l.sku as {{ dbt.type_string() }}) as sku,
    cast(l.category as {{ dbt.type_string() }}) as category,
    cast(l.brand as {{ dbt.type_string() }}) as brand,
    cast(l.unit_price_cny as decimal(18, 2)) as unit_price_cny,
    cast(l.quantity as integer) as quantity
from counted_orders as o
inner join lines as l on l.order_id = o.order_id
