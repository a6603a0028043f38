{#- New customers and the welcome benefit of their acquisition source x device (brief 4).
    New: first observation (dim_customers.first_seen_at, local date) within
    welcome_window_days up to the as-of date, the as-of day included, and no counted purchase
    on or before the as-of date. Benefit: the most specific welcome_benefit_rules row (see its seed
    doc); exactly one row per new customer. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

new_customers as (

    select
        c.customer_id,
        a.as_of_date,
        {{ segmentation_local_date('c.first_seen_at') }} as first_seen_date,
        c.acquisition_channel,
        c.acquisition_platform
    from {{ ref('dim_customers') }} as c
    cross join as_of as a
    where {{ segmentation_local_date('c.first_seen_at') }} <= a.as_of_date
      and {{ segmentation_local_date('c.first_seen_at') }} > {{ dbt.dateadd(
            'day', '-1 * ' ~ activation_parameter('acquisition_parameters', 'welcome_window_days'), 'a.as_of_date') }}
      and (c.first_order_date is null or c.first_order_date > a.as_of_date)

),

candidates as (

    -- Each customer against every seed row that matches (`*` matches anything, NULL included).
    select
        n.*,
        b.benefit_code,
        b.coupon_value_cny,
        b.min_spend_cny,
        (case when b.acquisition_channel <> '*' then 2 else 0 end)
            + (case when b.acquisition_platform <> '*' then 1 else 0 end) as specificity
    from new_customers as n
    inner join {{ ref('welcome_benefit_rules') }} as b
        on (b.acquisition_channel = '*' or b.acquisition_channel = n.acquisition_channel)
       and (b.acquisition_platform = '*' or b.acquisition_platform = n.acquisition_platform)

),

ranked as (

    select
        cd.*,
        row_number() over (partition by cd.customer_id order by cd.specificity desc) as match_rank
    from candidates as cd

)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(as_of_date as date) as as_of_date,
    cast(first_seen_date as date) as first_seen_date,
    cast({{ dbt.datediff('first_seen_date', 'as_of_date', 'day') }} as integer) as days_since_first_seen,  -- noqa: LT05
    cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(acquisition_platform as {{ dbt.type_string() }}) as acquisition_platform,
    cast(benefit_code as {{ dbt.type_string() }}) as benefit_code,
    cast(coupon_value_cny as decimal(18, 2)) as coupon_value_cny,
    cast(min_spend_cny as decimal(18, 2)) as min_spend_cny,
    cast(case specificity
        when 3 then 'channel_and_platform'
        when 2 then 'channel'
        when 1 then 'platform'
        else 'default'
    end as {{ dbt.type_string() }}) as matched_on,
    cast('welcome:' || benefit_code as {{ dbt.type_string() }}) as offer_code
from ranked
where match_rank = 1
