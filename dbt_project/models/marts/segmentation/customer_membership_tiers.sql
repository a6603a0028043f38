with states as (
    select * from {{ ref('int_segmentation__customer_states') }}
),

tiers as (
    select * from {{ ref('membership_tiers') }}
),

next_tiers as (
    -- the next tier up is the lowest-ranked tier above the current one
    select
        cur.tier_code,
        nxt.tier_code as next_tier_code,
        nxt.tier_name_en as next_tier_name_en,
        nxt.tier_name_zh as next_tier_name_zh,
        nxt.min_spend_cny as next_tier_min_spend_cny,
        row_number() over (partition by cur.tier_code order by nxt.tier_rank) as pick
    from tiers as cur
    inner join tiers as nxt on nxt.tier_rank > cur.tier_rank
),

joined as (
    select
        st.customer_id,
        st.eval_date,
        st.trailing_12m_net_spend_cny,
        st.membership_tier_code,
        cu.tier_rank,
        cu.tier_name_en,
        cu.tier_name_zh,
        cu.min_spend_cny,
        cu.benefits_en,
        cu.benefits_zh,
        nt.next_tier_code,
        nt.next_tier_name_en,
        nt.next_tier_name_zh,
        nt.next_tier_min_spend_cny,
        cast(nt.next_tier_min_spend_cny - st.trailing_12m_net_spend_cny as decimal(18, 2)) as gap_to_next_tier_cny
    from states as st
    left join tiers as cu on st.membership_tier_code = cu.tier_code
    left join next_tiers as nt on st.membership_tier_code = nt.tier_code and nt.pick = 1
)

select
    cast(customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(eval_date as date) as as_of_date,
    cast(trailing_12m_net_spend_cny as decimal(18, 2)) as trailing_12m_net_spend_cny,
    cast(membership_tier_code as {{ dbt.type_string() }}) as tier,
    cast(tier_rank as integer) as tier_rank,
    cast(tier_name_en as {{ dbt.type_string() }}) as tier_name_en,
    cast(tier_name_zh as {{ dbt.type_string() }}) as tier_name_zh,
    cast(min_spend_cny as decimal(18, 2)) as tier_min_spend_cny,
    cast(next_tier_code as {{ dbt.type_string() }}) as next_tier,
    cast(next_tier_min_spend_cny as decimal(18, 2)) as next_tier_min_spend_cny,
    cast(gap_to_next_tier_cny as decimal(18, 2)) as gap_to_next_tier_cny,
    cast(case
        when next_tier_code is null then 'Top tier reached'
        else {{ dbt.concat(["'spend '", segmentation_money_text('gap_to_next_tier_cny'),
                            "' CNY more for '", 'lower(next_tier_name_en)']) }}
    end as {{ dbt.type_string() }}) as gap_to_next_tier_text_en,
    cast(case
        when next_tier_code is null then '已是最高等级'
        else {{ dbt.concat(["'再消费'", segmentation_money_text('gap_to_next_tier_cny'), "'元升级'", 'next_tier_name_zh']) }}
    end as {{ dbt.type_string() }}) as gap_to_next_tier_text_zh,
    cast(benefits_en as {{ dbt.type_string() }}) as benefits_en,
    cast(benefits_zh as {{ dbt.type_string() }}) as benefits_zh
from joined
