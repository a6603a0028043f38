{#- A returned row is a replenishment_rules problem: no `*` default row or more than one, a
    cycle needing fewer than two purchases (one purchase has no gap), a lead time that reaches the
    shortest trusted cycle (the reminder would fall on or before the purchase it follows), or
    min_cycle_days above max_cycle_days. -#}

with defaults as (

    select count(*) as n from {{ ref('replenishment_rules') }} where category = '*'

)

select 'default_rows' as problem, cast(null as {{ dbt.type_string() }}) as category
from defaults
where n <> 1

union all

select 'rule' as problem, category
from {{ ref('replenishment_rules') }}
where min_purchases < 2
   or lead_days >= min_cycle_days
   or min_cycle_days > max_cycle_days
