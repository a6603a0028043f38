{#- Checkout add-ons (brief 4: "one more item for free shipping over 300"): for the latest open
    cart of a customer, when its value is below a spend threshold by at most the threshold's
    max_gap_cny, the items that close the gap. One row per customer and suggested sku, at most
    checkout_max_suggestions per customer.

    Cart: the add_cart minus remove_cart quantities per sku of one app session
    (int_app_events_resolved), each sku at the price of its latest add_cart in the session;
    events whose local date is within checkout_cart_window_days up to the as-of date. Open: the
    session has no pay event, and the customer placed no paid order at or after the cart's last
    add_cart (up to the as-of date). Latest: the open cart with the latest last add_cart per
    customer (ties: the higher session id).
    Threshold: of seed checkout_addon_thresholds, the lowest with
    0 < gap = threshold_cny - cart value <= max_gap_cny. A cart at the threshold has reached it.
    Items: int_recommendation__items not in the cart whose price closes the gap
    (price >= gap) by at most max_excess_cny (price - gap). Order: associated items first (a
    sku-level rule from a cart sku, a category-level rule or a complementary_categories row from
    a cart category), then the smallest excess, the highest lift, the best-selling, the sku
    code. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

session_events as (

    select r.event_id, r.customer_id, r.session_id, r.event_type, r.event_at, r.sku, r.category,
        r.quantity, s.price_cny
    from {{ ref('int_app_events_resolved') }} as r
    inner join {{ ref('stg_app__events') }} as s on s.event_id = r.event_id
    cross join as_of as a
    where r.event_type in ('add_cart', 'remove_cart', 'pay')
      and r.session_id is not null
      and {{ segmentation_local_date_within('r.event_at', dbt.dateadd(
            'day', '-1 * ' ~ activation_parameter('recommendation_parameters', 'checkout_cart_window_days'), 'a.as_of_date'),
            'a.as_of_date') }}

),

line_prices as (

    select customer_id, session_id, sku, price_cny
    from (
        select
            e.*,
            row_number() over (
                partition by e.customer_id, e.session_id, e.sku order by e.event_at desc, e.event_id desc
            ) as add_rank
        from session_events as e
        where e.event_type = 'add_cart' and e.sku is not null
    ) as adds
    where add_rank = 1

),

cart_lines as (

    select
        e.customer_id,
        e.session_id,
        e.sku,
        max(e.category) as category,
        sum(case when e.event_type = 'add_cart' then coalesce(e.quantity, 1) else 0 end)
            - sum(case when e.event_type = 'remove_cart' then coalesce(e.quantity, 1) else 0 end)
            as quantity,
        max(case when e.event_type = 'add_cart' then e.event_at end) as last_added_at
    from session_events as e
    where e.event_type in ('add_cart', 'remove_cart') and e.sku is not null
    group by e.customer_id, e.session_id, e.sku

),

open_lines as (

    select cl.*, lp.price_cny
    from cart_lines as cl
    inner join line_prices as lp
        on lp.customer_id = cl.customer_id and lp.session_id = cl.session_id and lp.sku = cl.sku
    where cl.quantity > 0

),

carts as (

    select
        customer_id,
        session_id,
        sum(quantity * price_cny) as cart_value_cny,
        sum(quantity) as cart_item_count,
        max(last_added_at) as cart_updated_at
    from open_lines
    group by customer_id, session_id

),

paid_sessions as (

    select distinct session_id
    from session_events
    where event_type = 'pay'

),

later_orders as (

    select distinct c.customer_id, c.session_id
    from carts as c
    inner join {{ ref('fct_orders') }} as o on o.customer_id = c.customer_id
    cross join as_of as a
    where o.status = 'paid'
      and o.ordered_at >= c.cart_updated_at
      and o.order_date <= a.as_of_date

),

latest_open_cart as (

    select customer_id, session_id, cart_value_cny, cart_item_count, cart_updated_at
    from (
        select
            c.*,
            row_number() over (
                partition by c.customer_id order by c.cart_updated_at desc, c.session_id desc
            ) as cart_rank
        from carts as c
        left join paid_sessions as ps on ps.session_id = c.session_id
        left join later_orders as lo on lo.customer_id = c.customer_id and lo.session_id = c.session_id
        where ps.session_id is null
          and lo.session_id is null
    ) as open_carts
    where cart_rank = 1

),

cart_thresholds as (

    select customer_id, session_id, cart_value_cny, cart_item_count, cart_updated_at,
        threshold_code, threshold_cny, max_excess_cny, benefit_en, benefit_zh, gap_cny
    from (
        select
            c.*,
            t.threshold_code,
            t.threshold_cny,
            t.max_excess_cny,
            t.benefit_en,
            t.benefit_zh,
            t.threshold_cny - c.cart_value_cny as gap_cny,
            row_number() over (partition by c.customer_id order by t.threshold_cny) as threshold_rank
        from latest_open_cart as c
        inner join {{ ref('checkout_addon_thresholds') }} as t
            on t.threshold_cny > c.cart_value_cny
           and t.threshold_cny - c.cart_value_cny <= t.max_gap_cny
    ) as reachable
    where threshold_rank = 1

),

in_cart as (

    select ol.customer_id, ol.sku, ol.category
    from open_lines as ol
    inner join cart_thresholds as ct on ct.customer_id = ol.customer_id and ct.session_id = ol.session_id

),

candidates as (

    select
        ct.*,
        i.sku,
        i.category,
        i.brand,
        i.price_cny,
        i.basket_count,
        i.price_cny - ct.gap_cny as excess_cny
    from cart_thresholds as ct
    inner join {{ ref('int_recommendation__items') }} as i
        on i.price_cny >= ct.gap_cny
       and i.price_cny - ct.gap_cny <= ct.max_excess_cny
    left join in_cart as ic on ic.customer_id = ct.customer_id and ic.sku = i.sku
    where ic.sku is null

),

associations as (

    select ic.customer_id, r.consequent as sku, 1 as source_order, r.lift
    from in_cart as ic
    inner join {{ ref('product_association_rules') }} as r
        on r.rule_level = 'sku' and r.antecedent = ic.sku
    union all
    select ic.customer_id, i.sku, 2 as source_order, r.lift
    from in_cart as ic
    inner join {{ ref('product_association_rules') }} as r
        on r.rule_level = 'category' and r.antecedent = ic.category
    inner join {{ ref('int_recommendation__items') }} as i on i.category = r.consequent
    union all
    select ic.customer_id, i.sku, 3 as source_order, cast(null as double) as lift
    from in_cart as ic
    inner join {{ ref('complementary_categories') }} as cc on cc.category = ic.category
    inner join {{ ref('int_recommendation__items') }} as i on i.category = cc.complement_category

),

association_by_sku as (

    select customer_id, sku, min(source_order) as source_order, max(lift) as lift
    from associations
    group by customer_id, sku

),

ranked as (

    select
        c.*,
        coalesce(a.source_order, 9) as source_order,
        a.lift,
        row_number() over (
            partition by c.customer_id
            order by case when a.sku is not null then 0 else 1 end, c.excess_cny asc,
                coalesce(a.lift, 0) desc, c.basket_count desc, c.sku asc
        ) as suggestion_rank
    from candidates as c
    left join association_by_sku as a on a.customer_id = c.customer_id and a.sku = c.sku

)

select
    cast(r.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(a.as_of_date as date) as as_of_date,
    cast(r.suggestion_rank as integer) as suggestion_rank,
    cast(r.session_id as {{ dbt.type_string() }}) as session_id,
    cast(r.cart_updated_at as {{ dbt.type_timestamp() }}) as cart_updated_at,
    cast(r.cart_value_cny as decimal(18, 2)) as cart_value_cny,
    cast(r.cart_item_count as integer) as cart_item_count,
    cast(r.threshold_code as {{ dbt.type_string() }}) as threshold_code,
    cast(r.threshold_cny as decimal(18, 2)) as threshold_cny,
    cast(r.gap_cny as decimal(18, 2)) as gap_cny,
    cast(r.sku as {{ dbt.type_string() }}) as suggested_sku,
    cast(r.category as {{ dbt.type_string() }}) as suggested_category,
    cast(r.brand as {{ dbt.type_string() }}) as suggested_brand,
    cast(r.price_cny as decimal(18, 2)) as suggested_price_cny,
    cast(r.excess_cny as decimal(18, 2)) as excess_cny,
    cast(r.source_order < 9 as boolean) as is_associated,
    cast(case r.source_order
        when 1 then 'sku_rule'
        when 2 then 'category_rule'
        when 3 then 'complement_seed'
        else 'none'
    end as {{ dbt.type_string() }}) as association_source,
    cast(r.lift as double) as rule_lift,
    cast(replace(r.benefit_en, '{gap}', {{ segmentation_money_text('r.gap_cny') }})
        as {{ dbt.type_string() }}) as message_en,
    cast(replace(r.benefit_zh, '{gap}', {{ segmentation_money_text('r.gap_cny') }})
        as {{ dbt.type_string() }}) as message_zh,
    cast('checkout_addon:' || r.sku as {{ dbt.type_string() }}) as offer_code
from ranked as r
cross join as_of as a
where r.suggestion_rank <= {{ activation_parameter('recommendation_parameters', 'checkout_max_suggestions') }}
