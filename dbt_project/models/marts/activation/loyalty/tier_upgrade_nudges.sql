{#- Customers close to the next membership tier (brief 4: "reach 5,000 for gold"): one row per
    customer whose gap to the next tier is positive and at most the tier's max_gap_cny (seed
    tier_nudge_rules), with the nudge text. Only customers who bought in the spend window:
    a silver customer with no spend is 5,000 CNY away, which no nudge closes. -#}

select
    cast(t.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(t.as_of_date as date) as as_of_date,
    cast(t.tier as {{ dbt.type_string() }}) as tier,
    cast(t.next_tier as {{ dbt.type_string() }}) as next_tier,
    cast(t.trailing_12m_net_spend_cny as decimal(18, 2)) as trailing_12m_net_spend_cny,
    cast(t.gap_to_next_tier_cny as decimal(18, 2)) as gap_to_next_tier_cny,
    cast(replace(r.nudge_en, '{gap}', {{ segmentation_money_text('t.gap_to_next_tier_cny') }})
        as {{ dbt.type_string() }}) as nudge_en,
    cast(replace(r.nudge_zh, '{gap}', {{ segmentation_money_text('t.gap_to_next_tier_cny') }})
        as {{ dbt.type_string() }}) as nudge_zh,
    cast('tier_nudge:' || t.next_tier as {{ dbt.type_string() }}) as offer_code
from {{ ref('customer_membership_tiers') }} as t
inner join {{ ref('tier_nudge_rules') }} as r
    on r.tier = t.tier and r.next_tier = t.next_tier
where t.trailing_12m_net_spend_cny > 0
  and t.gap_to_next_tier_cny > 0
  and t.gap_to_next_tier_cny <= r.max_gap_cny
