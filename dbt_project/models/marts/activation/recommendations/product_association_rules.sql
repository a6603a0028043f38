{#- Bought-together rules (brief 4, product page: "lipstick -> make-up remover"), one row per
    (level, antecedent, consequent), at two levels: `category` and `sku`.

    Baskets: the counted orders of the rules window (int_recommendation__basket_items), each
    holding a set of items (its distinct skus, or its distinct categories). With N baskets,
    n(A) baskets holding A, n(C) holding C and n(A,C) holding both (A <> C):
      support = n(A,C) / N, confidence = n(A,C) / n(A), lift = n(A,C) * N / (n(A) * n(C)).
    A rule is kept when n(A,C) >= min_support_count, confidence >= min_confidence and
    lift >= min_lift (seed association_rule_thresholds, per level; edges inclusive), and it is
    among the max_rules_per_antecedent best of its antecedent: lift, then confidence, then
    n(A,C) descending, then the consequent's code ascending. -#}

with items as (

    select distinct 'sku' as rule_level, order_id, sku as item, category
    from {{ ref('int_recommendation__basket_items') }}
    union all
    select distinct 'category' as rule_level, order_id, category as item, category
    from {{ ref('int_recommendation__basket_items') }}
    where category is not null

),

basket_total as (

    select count(distinct order_id) as basket_count
    from {{ ref('int_recommendation__basket_items') }}

),

item_counts as (

    select rule_level, item, max(category) as category, count(*) as item_basket_count
    from items
    group by rule_level, item

),

pairs as (

    select
        a.rule_level,
        a.item as antecedent,
        c.item as consequent,
        count(*) as pair_basket_count
    from items as a
    inner join items as c
        on c.order_id = a.order_id
       and c.rule_level = a.rule_level
       and c.item <> a.item
    group by a.rule_level, a.item, c.item

),

scored as (

    select
        p.rule_level,
        p.antecedent,
        ia.category as antecedent_category,
        p.consequent,
        ic.category as consequent_category,
        p.pair_basket_count,
        ia.item_basket_count as antecedent_basket_count,
        ic.item_basket_count as consequent_basket_count,
        b.basket_count,
        cast(p.pair_basket_count as double) / b.basket_count as support,
        cast(p.pair_basket_count as double) / ia.item_basket_count as confidence,
        cast(p.pair_basket_count as double) * b.basket_count
            / (cast(ia.item_basket_count as double) * ic.item_basket_count) as lift
    from pairs as p
    inner join item_counts as ia on ia.rule_level = p.rule_level and ia.item = p.antecedent
    inner join item_counts as ic on ic.rule_level = p.rule_level and ic.item = p.consequent
    cross join basket_total as b

),

kept as (

    select
        s.*,
        t.max_rules_per_antecedent,
        row_number() over (
            partition by s.rule_level, s.antecedent
            order by s.lift desc, s.confidence desc, s.pair_basket_count desc, s.consequent asc
        ) as rule_rank
    from scored as s
    inner join {{ ref('association_rule_thresholds') }} as t on t.level = s.rule_level
    where s.pair_basket_count >= t.min_support_count
      and s.confidence >= cast(t.min_confidence as double)
      and s.lift >= cast(t.min_lift as double)

)

select
    cast(rule_level || ':' || antecedent || '->' || consequent as {{ dbt.type_string() }}) as rule_id,
    cast({{ segmentation_as_of_date() }} as date) as as_of_date,
    cast(rule_level as {{ dbt.type_string() }}) as rule_level,
    cast(antecedent as {{ dbt.type_string() }}) as antecedent,
    cast(antecedent_category as {{ dbt.type_string() }}) as antecedent_category,
    cast(consequent as {{ dbt.type_string() }}) as consequent,
    cast(consequent_category as {{ dbt.type_string() }}) as consequent_category,
    cast(rule_rank as integer) as rule_rank,
    cast(basket_count as integer) as basket_count,
    cast(antecedent_basket_count as integer) as antecedent_basket_count,
    cast(consequent_basket_count as integer) as consequent_basket_count,
    cast(pair_basket_count as integer) as pair_basket_count,
    cast(support as double) as support,
    cast(confidence as double) as confidence,
    cast(lift as double) as lift
from kept
where rule_rank <= max_rules_per_antecedent
