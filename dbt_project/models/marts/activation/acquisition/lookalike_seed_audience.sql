{#- The lookalike seed (brief 4, new customers: "lookalike expansion from the best existing
    users' features"): one row per customer who is among the best, i.e. with a counted purchase
    and either a predicted 1-year value in the top `lookalike_top_ltv_deciles` deciles of
    customer_ltv (decile 10 = highest) or RFM segment `lookalike_rfm_segment` (seed
    acquisition_parameters), with the features ad platforms expand on. No holdout: a seed is
    uploaded, not sent to. -#}

with params as (

    select
        {{ activation_parameter('acquisition_parameters', 'lookalike_top_ltv_deciles') }} as top_deciles,
        {{ activation_parameter('acquisition_parameters', 'lookalike_rfm_segment', dbt.type_string()) }} as rfm_segment

),

flagged as (

    select
        r.customer_id,
        r.as_of_date,
        r.rfm_segment_code,
        r.net_spend_cny,
        l.ltv_decile,
        l.predicted_value_1y_cny,
        case when l.ltv_decile > 10 - p.top_deciles then 1 else 0 end as is_top_ltv,
        case when r.rfm_segment_code = p.rfm_segment then 1 else 0 end as is_rfm_segment
    from {{ ref('customer_rfm') }} as r
    cross join params as p
    left join {{ ref('customer_ltv') }} as l on l.customer_id = r.customer_id
    where r.has_purchased

)

select
    cast(f.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(f.as_of_date as date) as as_of_date,
    cast(case
        when f.is_top_ltv = 1 and f.is_rfm_segment = 1 then 'top_ltv_and_rfm_segment'
        when f.is_top_ltv = 1 then 'top_ltv'
        else 'rfm_segment'
    end as {{ dbt.type_string() }}) as seed_reason,
    cast(f.ltv_decile as integer) as ltv_decile,
    cast(f.predicted_value_1y_cny as decimal(18, 2)) as predicted_value_1y_cny,
    cast(f.rfm_segment_code as {{ dbt.type_string() }}) as rfm_segment_code,
    cast(f.net_spend_cny as decimal(18, 2)) as net_spend_cny,
    cast(x.region_code as {{ dbt.type_string() }}) as region_code,
    cast(x.age_band as {{ dbt.type_string() }}) as age_band,
    cast(x.gender as {{ dbt.type_string() }}) as gender,
    cast(x.top_category as {{ dbt.type_string() }}) as top_category,
    cast(x.acquisition_channel as {{ dbt.type_string() }}) as acquisition_channel,
    cast(x.acquisition_platform as {{ dbt.type_string() }}) as acquisition_platform,
    cast('lookalike:seed' as {{ dbt.type_string() }}) as offer_code
from flagged as f
inner join {{ ref('int_activation__customer_features') }} as x on x.customer_id = f.customer_id
where f.is_top_ltv = 1 or f.is_rfm_segment = 1
