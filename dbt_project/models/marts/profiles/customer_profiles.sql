{#- One row per customer (same population as dim_customers): the three-dimensional profile of
    brief section 3. Column rules are documented in _profiles__models.yml. Spend-based columns use
    counted purchases (status paid, not fully refunded); time-of-day columns use local time in var
    reporting_timezone (default Asia/Shanghai). -#}

with counted_orders as (

    select *
    from {{ ref('fct_orders') }}
    where customer_id is not null and status = 'paid' and not is_fully_refunded

),

counted_lines as (

    select l.*
    from {{ ref('fct_order_lines') }} as l
    inner join counted_orders as o on o.order_id = l.order_id

),

category_rank as (

    select
        customer_id,
        category,
        row_number() over (
            partition by customer_id order by sum(net_amount_cny) desc, category
        ) as category_rank
    from counted_lines
    where category is not null
    group by customer_id, category
    having sum(net_amount_cny) > 0

),

top_categories as (

    select
        customer_id,
        max(case when category_rank = 1 then category end) as top_category_1,
        max(case when category_rank = 2 then category end) as top_category_2,
        max(case when category_rank = 3 then category end) as top_category_3
    from category_rank
    where category_rank <= 3
    group by customer_id

),

brand_rank as (

    select
        customer_id,
        brand,
        row_number() over (
            partition by customer_id order by sum(net_amount_cny) desc, brand
        ) as brand_rank
    from counted_lines
    where brand is not null
    group by customer_id, brand
    having sum(net_amount_cny) > 0

),

spend as (

    select
        customer_id,
        sum(net_amount_cny) as net_spend_cny,
        sum(case when has_discount then net_amount_cny else 0 end) as discounted_spend_cny,
        sum(case when order_channel = 'online' then net_amount_cny else 0 end) as online_spend_cny,
        count(*) as order_count,
        sum(case when order_channel = 'online' then 1 else 0 end) as online_order_count
    from counted_orders
    group by customer_id

),

purchase_gaps as (

    select
        customer_id,
        {{ dbt.datediff(
            'lag(order_date) over (partition by customer_id order by order_date)',
            'order_date', 'day') }} as days_since_previous
    from (select distinct customer_id, order_date from counted_orders) as d

),

purchase_cycle as (

    select customer_id, {{ cm_median('days_since_previous') }} as median_days_between_purchases
    from purchase_gaps
    group by customer_id

),

-- Activities per customer, local weekday and hour. Converting 46 M events to local time one by
-- one took 10 s at scale l; they are counted per UTC minute instead, and only the distinct
-- minutes (at most 527,040 a year) are converted. Exact: since 1972 every zone's offset is a
-- whole number of minutes and changes only on a whole minute (some switched at 00:01, e.g.
-- America/St_Johns until 2011, so quarter-hours would not be).
{%- set activity_minutes %}
    select customer_id, {{ dbt.date_trunc('minute', 'event_at') }} as utc_minute
    from {{ ref('int_app_events_resolved') }}
    union all
    select customer_id, {{ dbt.date_trunc('minute', 'ordered_at') }} as utc_minute
    from {{ ref('fct_orders') }}
    where customer_id is not null
{%- endset %}
activity as (
{{ activity_minutes }}

),

-- the same query written again rather than read from `activity`: a CTE read twice is
-- materialised (one SQL text, so the two cannot drift apart)
local_minutes as (

    select
        utc_minute,
        {{ cm_iso_weekday(cm_to_local_timestamp('utc_minute')) }} as weekday,
        {{ cm_hour(cm_to_local_timestamp('utc_minute')) }} as hour_of_day
    from (
        select distinct utc_minute
        from ({{ activity_minutes }}
        ) as a
    ) as m

),

activity_slots as (

    select a.customer_id, l.weekday, l.hour_of_day, count(*) as activity_count
    from activity as a
    inner join local_minutes as l on l.utc_minute = a.utc_minute
    group by a.customer_id, l.weekday, l.hour_of_day

),

weekday_rank as (

    select
        customer_id,
        weekday,
        row_number() over (
            partition by customer_id order by sum(activity_count) desc, weekday
        ) as weekday_rank
    from activity_slots
    group by customer_id, weekday

),

hour_rank as (

    select
        customer_id,
        hour_of_day,
        row_number() over (
            partition by customer_id order by sum(activity_count) desc, hour_of_day
        ) as hour_rank
    from activity_slots
    group by customer_id, hour_of_day

),

carts as (

    select event_id, customer_id, sku, event_at as carted_at
    from {{ ref('int_app_events_resolved') }}
    where event_type = 'add_cart' and sku is not null

),

-- cart events followed by a paid order of the same SKU within 72 hours
carts_ordered as (

    select distinct c.event_id
    from carts as c
    inner join {{ ref('fct_order_lines') }} as l
        on l.customer_id = c.customer_id and l.sku = c.sku
    inner join {{ ref('fct_orders') }} as o on o.order_id = l.order_id
    where o.status = 'paid'
        and o.ordered_at >= c.carted_at
        and o.ordered_at <= {{ dbt.dateadd('hour', 72, 'c.carted_at') }}

),

cart_conversion as (

    select
        c.customer_id,
        count(*) as carted_item_count,
        sum(case when exists_order.event_id is not null then 1 else 0 end) as ordered_within_72h_count
    from carts as c
    left join carts_ordered as exists_order on exists_order.event_id = c.event_id
    group by c.customer_id

),

customer_phones as (

    select customer_id, id_value as phone_hash
    from {{ ref('int_identifiers_resolved') }}
    where id_type = 'phone_hash'

),

social as (

    select customer_id, {{ sorted_listagg('tag', "','") }} as social_tags
    from (
        select distinct p.customer_id, t.tag
        from customer_phones as p
        inner join {{ ref('stg_social__tags') }} as t on t.phone_hash = p.phone_hash
    ) as tags
    group by customer_id

)

select
    cast(d.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(tc.top_category_1 as {{ dbt.type_string() }}) as top_category_1,
    cast(tc.top_category_2 as {{ dbt.type_string() }}) as top_category_2,
    cast(tc.top_category_3 as {{ dbt.type_string() }}) as top_category_3,
    cast(br.brand as {{ dbt.type_string() }}) as top_brand,
    cast(coalesce(s.net_spend_cny, 0) as decimal(18, 2)) as net_spend_cny,
    cast(case when s.net_spend_cny > 0 then s.discounted_spend_cny / s.net_spend_cny end as double)
        as price_sensitivity_share,
    cast(wr.weekday as integer) as preferred_weekday,
    cast(hr.hour_of_day as integer) as preferred_hour,
    cast(coalesce(cc.carted_item_count, 0) as integer) as carted_item_count,
    cast(case when cc.carted_item_count > 0
              then cc.ordered_within_72h_count * 1.0 / cc.carted_item_count end as double)
        as cart_to_order_72h_share,
    cast(pc.median_days_between_purchases as double) as median_days_between_purchases,
    cast(cyc.median_days_between as double) as top_category_1_median_days_between,
    cast(so.social_tags as {{ dbt.type_string() }}) as social_tags,
    cast(d.gender as {{ dbt.type_string() }}) as gender,
    cast(d.is_gender_imputed as boolean) as is_gender_imputed,
    cast(d.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(d.acquisition_platform as {{ dbt.type_string() }}) as acquisition_platform,
    cast(case when s.order_count > 0 then s.online_order_count * 1.0 / s.order_count end as double)
        as online_order_share,
    cast(case when s.order_count > 0 then 1 - s.online_order_count * 1.0 / s.order_count end as double)
        as offline_order_share,
    cast(case when s.net_spend_cny > 0 then s.online_spend_cny / s.net_spend_cny end as double)
        as online_spend_share
from {{ ref('dim_customers') }} as d
left join top_categories as tc on tc.customer_id = d.customer_id
left join brand_rank as br on br.customer_id = d.customer_id and br.brand_rank = 1
left join spend as s on s.customer_id = d.customer_id
left join purchase_cycle as pc on pc.customer_id = d.customer_id
left join {{ ref('customer_category_cycles') }} as cyc
    on cyc.customer_id = d.customer_id and cyc.category = tc.top_category_1
left join weekday_rank as wr on wr.customer_id = d.customer_id and wr.weekday_rank = 1
left join hour_rank as hr on hr.customer_id = d.customer_id and hr.hour_rank = 1
left join cart_conversion as cc on cc.customer_id = d.customer_id
left join social as so on so.customer_id = d.customer_id
