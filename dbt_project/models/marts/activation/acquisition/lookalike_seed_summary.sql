{#- Seed quality in one row: the seed against the base (every customer with a counted
    purchase): sizes, the seed's share of the base, mean predicted 1-year value and mean net
    spend of seed and base and their ratios, and whether the seed reaches
    `lookalike_min_seed_size` (seed acquisition_parameters; ad platforms refuse smaller seeds). -#}

with base as (

    select
        r.customer_id,
        r.as_of_date,
        r.net_spend_cny,
        l.predicted_value_1y_cny,
        case when s.customer_id is not null then 1 else 0 end as in_seed
    from {{ ref('customer_rfm') }} as r
    left join {{ ref('customer_ltv') }} as l on l.customer_id = r.customer_id
    left join {{ ref('lookalike_seed_audience') }} as s on s.customer_id = r.customer_id
    where r.has_purchased

),

sizes as (

    select
        max(as_of_date) as as_of_date,
        sum(in_seed) as seed_customers,
        count(*) as base_customers,
        avg(case when in_seed = 1 then predicted_value_1y_cny end) as seed_mean_predicted_value_1y_cny,
        avg(predicted_value_1y_cny) as base_mean_predicted_value_1y_cny,
        avg(case when in_seed = 1 then net_spend_cny end) as seed_mean_net_spend_cny,
        avg(net_spend_cny) as base_mean_net_spend_cny
    from base

)

select
    cast(coalesce(s.as_of_date, {{ segmentation_as_of_date() }}) as date) as as_of_date,
    cast(s.seed_customers as bigint) as seed_customers,
    cast(s.base_customers as bigint) as base_customers,
    cast(case when s.base_customers > 0 then 1.0 * s.seed_customers / s.base_customers end as double)
        as seed_share_of_base,
    cast(s.seed_mean_predicted_value_1y_cny as decimal(18, 2)) as seed_mean_predicted_value_1y_cny,
    cast(s.base_mean_predicted_value_1y_cny as decimal(18, 2)) as base_mean_predicted_value_1y_cny,
    cast(case when s.base_mean_predicted_value_1y_cny > 0
        then s.seed_mean_predicted_value_1y_cny / s.base_mean_predicted_value_1y_cny end as double)
        as predicted_value_lift,
    cast(s.seed_mean_net_spend_cny as decimal(18, 2)) as seed_mean_net_spend_cny,
    cast(s.base_mean_net_spend_cny as decimal(18, 2)) as base_mean_net_spend_cny,
    cast(case when s.base_mean_net_spend_cny > 0
        then s.seed_mean_net_spend_cny / s.base_mean_net_spend_cny end as double) as net_spend_lift,
    cast(
        coalesce(s.seed_customers, 0)
        >= {{ activation_parameter('acquisition_parameters', 'lookalike_min_seed_size') }}
        as boolean
    ) as meets_min_seed_size
from sizes as s
