{#- Retention by acquisition cohort: one row per cohort week (Monday of the week of the first
    counted order) x acquisition channel ('all' = every channel). A customer is retained at N
    days (7, 30, 90) when they have another counted order on a local date in
    (first order date, first order date + N]; only customers whose first order date + N is on or
    before the as-of date are observable at N, and the rate is retained / observable (NULL when
    nobody is observable yet). -#}

{%- set windows = [7, 30, 90] %}

with orders as (

    select customer_id, order_date
    from {{ ref('fct_orders') }}
    where status = 'paid' and customer_id is not null

),

firsts as (

    select
        d.customer_id,
        d.first_order_date,
        coalesce(d.acquisition_channel, 'unknown') as acquisition_channel
    from {{ ref('dim_customers') }} as d
    where d.first_order_date is not null
        and d.first_order_date <= {{ segmentation_as_of_date() }}

),

per_customer as (

    select
        f.customer_id,
        cast({{ dbt.date_trunc('week', 'f.first_order_date') }} as date) as cohort_week_date,
        f.acquisition_channel
        {%- for n in windows %},
        case
            when {{ dbt.dateadd('day', n, 'f.first_order_date') }} <= {{ segmentation_as_of_date() }}
                then 1 else 0
        end as is_observable_{{ n }}d,
        max(case
            when o.order_date > f.first_order_date
                and o.order_date <= {{ dbt.dateadd('day', n, 'f.first_order_date') }}
                then 1 else 0
        end) as is_retained_{{ n }}d
        {%- endfor %}
    from firsts as f
    left join orders as o on o.customer_id = f.customer_id
    group by f.customer_id, f.first_order_date, f.acquisition_channel

),

cohorts as (

    {%- for grouping in ['all', 'channel'] %}
    select
        cohort_week_date,
        {{ "'all'" if grouping == 'all' else 'acquisition_channel' }} as acquisition_channel,
        count(*) as customers
        {%- for n in windows %},
        sum(is_observable_{{ n }}d) as observable_{{ n }}d,
        sum(is_observable_{{ n }}d * is_retained_{{ n }}d) as retained_{{ n }}d
        {%- endfor %}
    from per_customer
    group by cohort_week_date{% if grouping == 'channel' %}, acquisition_channel{% endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select
    cast(cohort_week_date as date) as cohort_week_date,
    cast(acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(customers as integer) as customers
    {%- for n in windows %},
    cast(observable_{{ n }}d as integer) as observable_{{ n }}d,
    cast(retained_{{ n }}d as integer) as retained_{{ n }}d,
    cast(case when observable_{{ n }}d > 0 then retained_{{ n }}d * 1.0 / observable_{{ n }}d end as double)
        as retention_{{ n }}d_rate
    {%- endfor %}
from cohorts
