with states as (
    select * from {{ ref('int_segmentation__customer_states') }}
),

scored as (
    -- Quintile scores (data-driven alternative to the brief's fixed cut points), purchasers only:
    -- 5 = most recent / most frequent / highest AOV. ntile with customer_id as tie-breaker, then
    -- every tie group takes the highest score any of its members got, so equal inputs score equally.
    -- Ratios as doubles on every engine: a decimal division rounds at an engine-chosen scale, which
    -- would make different tie groups on Spark than on DuckDB.
    select
        st.*,
        case when st.has_purchased then
            ntile(5) over (partition by st.has_purchased order by st.recency_days desc, st.customer_id asc)
        end as recency_ntile,
        case when st.has_purchased then
            ntile(5) over (partition by st.has_purchased
                order by cast(st.frequency_window_purchase_count as double) / st.frequency_months_x_window_days,
                    st.customer_id)
        end as frequency_ntile,
        case when st.has_purchased then
            ntile(5) over (partition by st.has_purchased
                order by cast(st.lifetime_net_spend_cny as double) / st.lifetime_purchase_count, st.customer_id)
        end as monetary_ntile
    from states as st
),

tied as (
    select
        sc.*,
        max(sc.recency_ntile) over (partition by sc.has_purchased, sc.recency_days) as recency_score,
        max(sc.frequency_ntile) over (partition by sc.has_purchased,
            cast(sc.frequency_window_purchase_count as double) / sc.frequency_months_x_window_days) as frequency_score,
        max(sc.monetary_ntile) over (partition by sc.has_purchased,
            case when sc.has_purchased then cast(sc.lifetime_net_spend_cny as double) / sc.lifetime_purchase_count end
        ) as monetary_score
    from scored as sc
)

select
    cast(ti.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(ti.eval_date as date) as as_of_date,
    cast(ti.has_purchased as boolean) as has_purchased,
    cast(ti.lifetime_purchase_count as integer) as purchase_count,
    cast(ti.lifetime_net_spend_cny as decimal(18, 2)) as net_spend_cny,
    cast(ti.first_purchase_date as date) as first_purchase_date,
    cast(ti.last_purchase_date as date) as last_purchase_date,
    cast(ti.recency_days as integer) as recency_days,
    cast(ti.frequency_window_purchase_count as integer) as frequency_window_purchase_count,
    cast(ti.frequency_observed_days as integer) as frequency_observed_days,
    -- ratios of integers rounded half-up exactly to 4 decimals (segmentation_ratio_half_up): a
    -- double rounds 1.23645 down on one engine, a decimal up on another.
    cast({{ segmentation_ratio_half_up('ti.frequency_months_x_window_days', 'ti.frequency_window_days', 4) }}
        as decimal(18, 4)) as frequency_observed_months,
    cast(case when ti.has_purchased then {{ segmentation_ratio_half_up(
        'cast(ti.frequency_window_purchase_count as bigint) * ti.frequency_window_days',
        'ti.frequency_months_x_window_days', 4) }} end as decimal(18, 4)) as purchases_per_month,
    -- display AOV rounded half-up exactly, in whole cents: floor((2 * cents + n) / (2 * n)).
    -- (Decimal / integer is a double on some engines: 0.29 / 2 = 0.145 would round to 0.14.)
    cast(case when ti.has_purchased then
        floor((ti.lifetime_net_spend_cny * 200 + ti.lifetime_purchase_count) / (2.0 * ti.lifetime_purchase_count)) / 100
    end as decimal(18, 2)) as avg_order_value_cny,
    cast(ti.recency_band as {{ dbt.type_string() }}) as recency_band,
    cast(ti.frequency_band as {{ dbt.type_string() }}) as frequency_band,
    cast(ti.monetary_band as {{ dbt.type_string() }}) as monetary_band,
    cast(ti.rfm_segment_code as {{ dbt.type_string() }}) as rfm_segment_code,
    cast(sg.segment_name_en as {{ dbt.type_string() }}) as rfm_segment_name_en,
    cast(sg.segment_name_zh as {{ dbt.type_string() }}) as rfm_segment_name_zh,
    cast(ti.recency_score as integer) as recency_score,
    cast(ti.frequency_score as integer) as frequency_score,
    cast(ti.monetary_score as integer) as monetary_score,
    cast(case when ti.has_purchased then {{ dbt.concat([
        dbt.cast('ti.recency_score', dbt.type_string()),
        dbt.cast('ti.frequency_score', dbt.type_string()),
        dbt.cast('ti.monetary_score', dbt.type_string())]) }} end as {{ dbt.type_string() }}) as rfm_score,
    cast(ta.tactic_code as {{ dbt.type_string() }}) as tactic_code,
    cast(ta.tactic_en as {{ dbt.type_string() }}) as tactic_en,
    cast(ta.tactic_zh as {{ dbt.type_string() }}) as tactic_zh
from tied as ti
left join {{ ref('rfm_segments') }} as sg on ti.rfm_segment_code = sg.segment_code
left join {{ ref('segment_tactics') }} as ta on ti.rfm_segment_code = ta.segment_code
