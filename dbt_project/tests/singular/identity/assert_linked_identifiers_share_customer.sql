-- Transitivity: two identifiers joined by usable evidence (neither end excluded) belong to the same
-- customer. A returned row is a link whose two ends resolved to different customers.
select l.identifier_key_a, l.identifier_key_b, ra.customer_id as customer_a, rb.customer_id as customer_b
from {{ ref('int_identity_links') }} as l
inner join {{ ref('int_identifiers_resolved') }} as ra on ra.identifier_key = l.identifier_key_a
inner join {{ ref('int_identifiers_resolved') }} as rb on rb.identifier_key = l.identifier_key_b
where ra.customer_id <> rb.customer_id

{#- Shown in Dagster as an asset check on int_identifiers_resolved (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'int_identifiers_resolved'}}}) }}
