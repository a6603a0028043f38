{#- Home-page complements from recent browsing (brief 4: "yoga mat -> yoga wear + resistance
    band"): one row per customer and recommended sku, at most home_max_items per customer.

    Starting points: the customer's product views (int_app_events_resolved, event_type view, sku
    known) whose local date is within home_view_window_days up to the as-of date. Candidates:
      1 sku_rule         a sku-level rule of product_association_rules whose antecedent is a
                         viewed sku: its consequent;
      2 category_rule    a category-level rule whose antecedent is a viewed category: the
                         home_items_per_category best-selling items of its consequent category;
      3 complement_seed  a row of seed complementary_categories for a viewed category: the
                         best-selling items of the complement category (curated pairs the rules
                         may be too thin to find).
    Not recommended: a sku the customer viewed in the window (a complement is something else),
    or bought in a counted order within home_bought_exclusion_days up to the as-of date.
    Order (for the best reason of a sku, and for the rank): source 1-2-3, lift descending (none
    for seed rows), seed priority, latest view first, best-selling first, sku code. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

views as (

    select e.customer_id, e.sku, max(e.category) as category, max(e.event_at) as last_viewed_at
    from {{ ref('int_app_events_resolved') }} as e
    cross join as_of as a
    where e.event_type = 'view'
      and e.sku is not null
      and {{ segmentation_local_date_within('e.event_at', dbt.dateadd(
            'day', '-1 * ' ~ activation_parameter('recommendation_parameters', 'home_view_window_days'), 'a.as_of_date'),
            'a.as_of_date') }}
    group by e.customer_id, e.sku

),

category_views as (

    -- per viewed category: its latest view and the sku viewed then
    select customer_id, category, sku, last_viewed_at
    from (
        select
            v.*,
            row_number() over (
                partition by v.customer_id, v.category order by v.last_viewed_at desc, v.sku asc
            ) as view_rank
        from views as v
        where v.category is not null
    ) as ranked_views
    where view_rank = 1

),

bestsellers as (

    select sku, category, basket_count
    from (
        select
            i.*,
            row_number() over (partition by i.category order by i.basket_count desc, i.sku asc) as sales_rank
        from {{ ref('int_recommendation__items') }} as i
    ) as ranked_items
    where sales_rank <= {{ activation_parameter('recommendation_parameters', 'home_items_per_category') }}

),

rules as (

    select rule_level, antecedent, consequent, confidence, lift
    from {{ ref('product_association_rules') }}

),

candidates as (

    select v.customer_id, r.consequent as sku, 'sku_rule' as source, 1 as source_order,
        v.sku as because_of_sku, v.category as because_of_category, v.last_viewed_at,
        r.confidence, r.lift, cast(null as integer) as complement_priority
    from views as v
    inner join rules as r on r.rule_level = 'sku' and r.antecedent = v.sku
    union all
    select cv.customer_id, b.sku, 'category_rule' as source, 2 as source_order,
        cv.sku as because_of_sku, cv.category as because_of_category, cv.last_viewed_at,
        r.confidence, r.lift, cast(null as integer) as complement_priority
    from category_views as cv
    inner join rules as r on r.rule_level = 'category' and r.antecedent = cv.category
    inner join bestsellers as b on b.category = r.consequent
    union all
    select cv.customer_id, b.sku, 'complement_seed' as source, 3 as source_order,
        cv.sku as because_of_sku, cv.category as because_of_category, cv.last_viewed_at,
        cast(null as double) as confidence, cast(null as double) as lift,
        cast(cc.priority as integer) as complement_priority
    from category_views as cv
    inner join {{ ref('complementary_categories') }} as cc on cc.category = cv.category
    inner join bestsellers as b on b.category = cc.complement_category

),

recently_bought as (

    select distinct o.customer_id, l.sku
    from {{ ref('fct_orders') }} as o
    inner join {{ ref('fct_order_lines') }} as l on l.order_id = o.order_id
    cross join as_of as a
    where o.customer_id is not null
      and o.status = 'paid'
      and not o.is_fully_refunded
      and o.order_date <= a.as_of_date
      and o.order_date > {{ dbt.dateadd(
            'day', '-1 * ' ~ activation_parameter('recommendation_parameters', 'home_bought_exclusion_days'), 'a.as_of_date') }}

),

eligible as (

    select
        c.*,
        i.category,
        i.brand,
        i.price_cny,
        i.basket_count,
        row_number() over (
            partition by c.customer_id, c.sku
            order by c.source_order asc, coalesce(c.lift, 0) desc, coalesce(c.complement_priority, 0),
                c.last_viewed_at desc, c.because_of_sku asc
        ) as reason_rank
    from candidates as c
    inner join {{ ref('int_recommendation__items') }} as i on i.sku = c.sku
    left join views as v on v.customer_id = c.customer_id and v.sku = c.sku
    left join recently_bought as rb on rb.customer_id = c.customer_id and rb.sku = c.sku
    where v.sku is null
      and rb.sku is null

),

ranked as (

    select
        e.*,
        row_number() over (
            partition by e.customer_id
            order by e.source_order asc, coalesce(e.lift, 0) desc, coalesce(e.complement_priority, 0),
                e.last_viewed_at desc, e.basket_count desc, e.sku asc
        ) as recommendation_rank
    from eligible as e
    where e.reason_rank = 1

)

select
    cast(r.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(a.as_of_date as date) as as_of_date,
    cast(r.recommendation_rank as integer) as recommendation_rank,
    cast(r.sku as {{ dbt.type_string() }}) as recommended_sku,
    cast(r.category as {{ dbt.type_string() }}) as recommended_category,
    cast(r.brand as {{ dbt.type_string() }}) as recommended_brand,
    cast(r.price_cny as decimal(18, 2)) as price_cny,
    cast(r.source as {{ dbt.type_string() }}) as recommendation_source,
    cast(r.because_of_sku as {{ dbt.type_string() }}) as because_of_sku,
    cast(r.because_of_category as {{ dbt.type_string() }}) as because_of_category,
    cast(r.last_viewed_at as {{ dbt.type_timestamp() }}) as last_viewed_at,
    cast(r.confidence as double) as rule_confidence,
    cast(r.lift as double) as rule_lift,
    cast('home_complement:' || r.sku as {{ dbt.type_string() }}) as offer_code
from ranked as r
cross join as_of as a
where r.recommendation_rank <= {{ activation_parameter('recommendation_parameters', 'home_max_items') }}
