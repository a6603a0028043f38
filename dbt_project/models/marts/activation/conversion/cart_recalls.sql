{#- Cart-abandonment recall by reason (brief 4, conversion): one row per cart_recall_triggers row
    (an add_cart no pay followed) abandoned on or before the as-of date, with the brief's three
    reasons and the offer. First that applies (docs/activation/cart_recall.md):
      1. out_of_stock  the item was out of stock in the session          -> similar items
      2. friction      the session hit a checkout error                  -> simpler path
      3. price         the cart price rose by price_rise_min_percent or more over the lowest
                       price viewed before it in the session             -> time-limited coupon
      4. price         the customer is price sensitive: at least price_sensitive_min_orders paid
                       online orders before the cart, a share of at least
                       price_sensitive_min_coupon_share of them paid with a coupon
      5. default_reason (seed; friction) when nothing applies: a plain reminder with the simpler
                       path, which costs no coupon.
    Observed facts of the session outrank the customer's history; an item that cannot be bought
    outranks a checkout that failed. Thresholds and offers: seeds cart_recall_parameters and
    cart_recall_offers. The realtime log keeps its cheap session-only trigger_reason; the history
    join and the thresholds live here, off the fast lane. -#}

{%- set p = 'cart_recall_parameters' %}

with params as (

    select
        {{ segmentation_as_of_date() }} as as_of_date,
        {{ activation_parameter(p, 'price_rise_min_percent', 'decimal(18, 4)') }} as price_rise_min_percent,
        {{ activation_parameter(p, 'price_sensitive_min_orders', 'integer') }} as min_orders,
        {{ activation_parameter(p, 'price_sensitive_min_coupon_share', 'decimal(18, 4)') }} as min_coupon_share,
        {{ activation_parameter(p, 'price_coupon_value_cny', 'decimal(18, 2)') }} as coupon_value_cny,
        {{ activation_parameter(p, 'price_coupon_valid_hours', 'integer') }} as coupon_valid_hours,
        {{ activation_parameter(p, 'recall_window_days', 'integer') }} as recall_window_days,
        {{ activation_parameter(p, 'default_reason', dbt.type_string()) }} as default_reason

),

triggers as (

    select
        t.*,
        {{ segmentation_local_date('t.event_at') }} as abandoned_date
    from {{ ref('cart_recall_triggers') }} as t
    cross join params as pr
    where {{ segmentation_local_date('t.event_at') }} <= pr.as_of_date

),

order_history as (

    -- paid online orders before the cart (coupons are known for online orders only)
    select
        tr.trigger_id,
        count(*) as prior_order_count,
        sum(case when so.coupon_cny > 0 then 1 else 0 end) as prior_coupon_order_count
    from triggers as tr
    inner join {{ ref('fct_orders') }} as o
        on o.customer_id = tr.customer_id and o.ordered_at < tr.event_at
    inner join {{ ref('stg_shop__orders') }} as so on so.order_id = o.order_id
    where o.status = 'paid' and o.order_channel = 'online'
    group by tr.trigger_id

),

signals as (

    select
        tr.*,
        coalesce(h.prior_order_count, 0) as prior_order_count,
        case when h.prior_order_count > 0
            then cast(h.prior_coupon_order_count as decimal(18, 4)) / h.prior_order_count
        end as prior_coupon_order_share,
        case when tr.viewed_price_cny > 0
            then round(100 * (tr.cart_price_cny - tr.viewed_price_cny) / tr.viewed_price_cny, 2)
        end as price_rise_percent,
        coalesce(
            tr.cart_price_cny > tr.viewed_price_cny
            and tr.cart_price_cny >= tr.viewed_price_cny * (1 + pr.price_rise_min_percent / 100),
            false
        ) as is_price_rise,
        coalesce(
            h.prior_order_count >= pr.min_orders
            and h.prior_coupon_order_count >= pr.min_coupon_share * h.prior_order_count,
            false
        ) as is_price_sensitive_customer,
        pr.as_of_date,
        pr.recall_window_days,
        pr.default_reason,
        pr.coupon_value_cny,
        pr.coupon_valid_hours
    from triggers as tr
    cross join params as pr
    left join order_history as h on h.trigger_id = tr.trigger_id

),

classified as (

    select
        s.*,
        case
            when coalesce(s.has_out_of_stock, false) then 'out_of_stock'
            when coalesce(s.has_checkout_error, false) then 'checkout_error'
            when s.is_price_rise then 'price_rise'
            when s.is_price_sensitive_customer then 'price_sensitive_customer'
            else 'no_signal'
        end as reason_basis
    from signals as s

),

reasoned as (

    select
        c.*,
        case c.reason_basis
            when 'out_of_stock' then 'out_of_stock'
            when 'checkout_error' then 'friction'
            when 'price_rise' then 'price'
            when 'price_sensitive_customer' then 'price'
            else c.default_reason
        end as recall_reason
    from classified as c

)

select
    cast(r.trigger_id as {{ dbt.type_string() }}) as trigger_id,
    cast(r.event_id as {{ dbt.type_string() }}) as event_id,
    cast(r.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(r.session_id as {{ dbt.type_string() }}) as session_id,
    cast(r.sku as {{ dbt.type_string() }}) as sku,
    cast(r.category as {{ dbt.type_string() }}) as category,
    cast(r.event_at as {{ dbt.type_timestamp() }}) as abandoned_at,
    cast(r.abandoned_date as date) as abandoned_date,
    cast(r.as_of_date as date) as as_of_date,
    cast(
        r.abandoned_date > {{ dbt.dateadd('day', '-1 * r.recall_window_days', 'r.as_of_date') }}
        as boolean
    ) as is_in_recall_window,
    cast(r.cart_price_cny as decimal(18, 2)) as cart_price_cny,
    cast(r.viewed_price_cny as decimal(18, 2)) as viewed_price_cny,
    cast(r.price_rise_percent as decimal(18, 2)) as price_rise_percent,
    cast(r.prior_order_count as integer) as prior_order_count,
    cast(r.prior_coupon_order_share as decimal(18, 4)) as prior_coupon_order_share,
    cast(coalesce(r.has_out_of_stock, false) as boolean) as has_out_of_stock,
    cast(coalesce(r.has_checkout_error, false) as boolean) as has_checkout_error,
    cast(r.is_price_rise as boolean) as is_price_rise,
    cast(r.is_price_sensitive_customer as boolean) as is_price_sensitive_customer,
    cast(r.recall_reason as {{ dbt.type_string() }}) as recall_reason,
    cast(r.reason_basis as {{ dbt.type_string() }}) as reason_basis,
    cast(o.offer_code as {{ dbt.type_string() }}) as offer_code,
    cast(case when r.recall_reason = 'price' then r.coupon_value_cny end as decimal(18, 2))
        as coupon_value_cny,
    cast(case when r.recall_reason = 'price' then r.coupon_valid_hours end as integer)
        as coupon_valid_hours,
    cast(
        replace(replace(o.offer_en, '{value}', cast(cast(r.coupon_value_cny as integer) as {{ dbt.type_string() }})),
            '{hours}', cast(r.coupon_valid_hours as {{ dbt.type_string() }}))
        as {{ dbt.type_string() }}
    ) as offer_en,
    cast(
        replace(replace(o.offer_zh, '{value}', cast(cast(r.coupon_value_cny as integer) as {{ dbt.type_string() }})),
            '{hours}', cast(r.coupon_valid_hours as {{ dbt.type_string() }}))
        as {{ dbt.type_string() }}
    ) as offer_zh
from reasoned as r
left join {{ ref('cart_recall_offers') }} as o on o.recall_reason = r.recall_reason
