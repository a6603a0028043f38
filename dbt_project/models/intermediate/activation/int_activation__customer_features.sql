{#- The features audiences are described and matched on, one row per customer: region and age
    band of the primary member record (age in whole years at the as-of date), gender (delivered
    or imputed), top category, acquisition channel and platform. 'unknown' where the customer
    has no such data, so that shares in the quality reports add up to one. -#}

with as_of as (

    select {{ segmentation_as_of_date() }} as as_of_date

),

members as (

    select member_id, birth_date, region_code
    from {{ ref('stg_membership__members') }}

),

ages as (

    select
        c.customer_id,
        m.region_code,
        -- whole years: year difference, minus one before the birthday in the as-of year
        case when m.birth_date is not null then
            {{ dbt.datediff('m.birth_date', 'a.as_of_date', 'year') }}
            - case when {{ dbt.dateadd('year', dbt.datediff('m.birth_date', 'a.as_of_date', 'year'), 'm.birth_date') }}
                > a.as_of_date then 1 else 0 end
        end as age_years,
        c.gender,
        c.acquisition_channel,
        c.acquisition_platform
    from {{ ref('dim_customers') }} as c
    cross join as_of as a
    left join members as m on m.member_id = c.member_id

)

select
    cast(g.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(coalesce(g.region_code, 'unknown') as {{ dbt.type_string() }}) as region_code,
    cast(g.age_years as integer) as age_years,
    cast(coalesce(b.age_band, 'unknown') as {{ dbt.type_string() }}) as age_band,
    cast(coalesce(g.gender, 'unknown') as {{ dbt.type_string() }}) as gender,
    cast(coalesce(p.top_category_1, 'unknown') as {{ dbt.type_string() }}) as top_category,
    cast(coalesce(g.acquisition_channel, 'unknown') as {{ dbt.type_string() }}) as acquisition_channel,
    cast(coalesce(g.acquisition_platform, 'unknown') as {{ dbt.type_string() }}) as acquisition_platform
from ages as g
left join {{ ref('age_bands') }} as b on g.age_years between b.min_age and b.max_age
left join {{ ref('customer_profiles') }} as p on p.customer_id = g.customer_id
