-- Every identifier resolves to exactly one customer, and excluded identifiers to none.
-- A returned row is an identifier key with several customer ids (duplicate rows in
-- int_identifiers_resolved) or an excluded identifier that still resolved to a customer.
select identifier_key, count(distinct customer_id) as customer_count, 'several customers' as problem
from {{ ref('int_identifiers_resolved') }}
group by identifier_key
having count(*) > 1 or count(distinct customer_id) > 1

union all

select r.identifier_key, 1, 'excluded identifier resolved'
from {{ ref('int_identifiers_resolved') }} as r
inner join {{ ref('identity_excluded_identifiers') }} as x on x.identifier_key = r.identifier_key

{#- Shown in Dagster as an asset check on int_identifiers_resolved (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_identifiers_resolved'}}}) }}
