{#- Identifiers the over-merge guard keeps out of identity resolution (see int_identity_guard and
    seeds/identity_rules.csv). They link nothing and resolve to no customer: an order or receipt
    carrying only an excluded identifier has a NULL customer_id. -#}

select
    identifier_key,
    id_type,
    id_value,
    distinct_linked_count,
    linked_id_type,
    max_distinct_linked,
    reason
from {{ ref('int_identity_guard') }}
