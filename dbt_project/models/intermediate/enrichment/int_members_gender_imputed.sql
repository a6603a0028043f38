{#- Gender per member: as delivered when known, otherwise inferred from behaviour.

    Rule (gender_rule = 'inferred_from_signals'):
      signals   one per distinct purchase basket x signal category (an online order via user_id,
                or a till receipt via card_no), plus one per distinct social tag on the member's
                phone_hash, each with the weight below (F signals positive, M negative);
      score     = sum of female weights - sum of male weights;
      impute    'F' when score >= threshold, 'M' when score <= -threshold, else NULL
                (gender_rule = 'insufficient_signals'; also when there is no signal at all).
      threshold = var('gender_imputation_min_score', 2): one cosmetics purchase (a gift?) is not
                enough, two baskets or a self-declared mothers' group membership are.
    Delivered gender always wins (gender_rule = 'as_delivered', is_gender_imputed = false).
    Categories/tags and weights are documented here on purpose: they are a modelling choice to be
    reviewed with marketing, not configuration to tune per run. -#}
{%- set category_weights = {'sanitary_pads': 1, 'cosmetics': 1, 'razors': -1} %}
{%- set tag_weights = {'mothers_group_active': 2} %}
{%- set threshold = var('gender_imputation_min_score', 2) | int %}

with members as (
    select member_id, card_no, user_id, phone_hash, gender
    from {{ ref('stg_membership__members') }}
),

online_signals as (
    select distinct m.member_id, oi.order_id as basket_id, oi.category
    from members as m
    inner join {{ ref('stg_shop__orders') }} as o on o.user_id = m.user_id
    inner join {{ ref('stg_shop__order_items') }} as oi on oi.order_id = o.order_id
    where m.gender is null
      and oi.category in ('{{ category_weights.keys() | join("', '") }}')  -- noqa: LT05
),

offline_signals as (
    select distinct m.member_id, rl.receipt_id as basket_id, rl.category
    from members as m
    inner join {{ ref('stg_pos__receipts') }} as r on r.member_card_no = m.card_no
    inner join {{ ref('stg_pos__receipt_lines') }} as rl on rl.receipt_id = r.receipt_id
    where m.gender is null
      and rl.category in ('{{ category_weights.keys() | join("', '") }}')  -- noqa: LT05
),

purchase_signals as (
    select
        member_id,
        case category
        {%- for category, weight in category_weights.items() %}
            when '{{ category }}' then {{ weight }}
        {%- endfor %}
        end as weight
    from (
        select member_id, basket_id, category from online_signals
        union all
        select member_id, basket_id, category from offline_signals
    ) as baskets
),

social_tags as (
    select distinct phone_hash, tag from {{ ref('stg_social__tags') }}
),

social_signals as (
    select
        m.member_id,
        case t.tag
        {%- for tag, weight in tag_weights.items() %}
            when '{{ tag }}' then {{ weight }}
        {%- endfor %}
        end as weight
    from members as m
    inner join social_tags as t on t.phone_hash = m.phone_hash
    where m.gender is null
      and t.tag in ('{{ tag_weights.keys() | join("', '") }}')
),

scores as (
    select member_id, sum(weight) as score
    from (
        select member_id, weight from purchase_signals
        union all
        select member_id, weight from social_signals
    ) as all_signals
    group by member_id
)

select
    m.member_id,
    case
        when m.gender is not null then m.gender
        when s.score >= {{ threshold }} then 'F'
        when s.score <= -{{ threshold }} then 'M'
    end as gender,
    (m.gender is null and coalesce(abs(s.score), 0) >= {{ threshold }}) as is_gender_imputed,
    case
        when m.gender is not null then 'as_delivered'
        when coalesce(abs(s.score), 0) >= {{ threshold }} then 'inferred_from_signals'
        else 'insufficient_signals'
    end as gender_rule
from members as m
left join scores as s on s.member_id = m.member_id
