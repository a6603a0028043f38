{#- Seed quality, feature by feature: for each lookalike feature and value, how many seed and
    base customers have it, their shares, and seed_index = 100 x seed share / base share (over
    100: the seed over-represents the value). Base: every customer with a counted purchase.
    A seed whose indexes all sit near 100 looks like the base and expands into average users. -#}

{%- set features = ['region_code', 'age_band', 'gender', 'top_category', 'acquisition_channel', 'acquisition_platform'] %}

with base as (

    select x.*
    from {{ ref('int_activation__customer_features') }} as x
    inner join {{ ref('customer_rfm') }} as r on r.customer_id = x.customer_id
    where r.has_purchased

),

seed as (

    select customer_id from {{ ref('lookalike_seed_audience') }}

),

long_features as (

    {%- for feature in features %}
    select
        '{{ feature }}' as feature,
        b.{{ feature }} as feature_value,
        case when s.customer_id is not null then 1 else 0 end as in_seed
    from base as b
    left join seed as s on s.customer_id = b.customer_id
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

counts as (

    select
        feature,
        feature_value,
        sum(in_seed) as seed_customers,
        count(*) as base_customers
    from long_features
    group by feature, feature_value

),

totals as (

    select
        feature,
        sum(seed_customers) as seed_total,
        sum(base_customers) as base_total
    from counts
    group by feature

)

select
    cast((select max(r.as_of_date) from {{ ref('customer_rfm') }} as r) as date) as as_of_date,
    cast(c.feature as {{ dbt.type_string() }}) as feature,
    cast(c.feature_value as {{ dbt.type_string() }}) as feature_value,
    cast(c.seed_customers as bigint) as seed_customers,
    cast(c.base_customers as bigint) as base_customers,
    cast(case when t.seed_total > 0 then 1.0 * c.seed_customers / t.seed_total end as double) as seed_share,
    cast(1.0 * c.base_customers / t.base_total as double) as base_share,
    cast(case when t.seed_total > 0
        then 100.0 * (1.0 * c.seed_customers / t.seed_total) / (1.0 * c.base_customers / t.base_total)
    end as double) as seed_index
from counts as c
inner join totals as t on t.feature = c.feature
