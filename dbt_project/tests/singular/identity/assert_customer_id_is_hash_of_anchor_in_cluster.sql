-- Stable ids: a customer's anchor identifier belongs to the customer itself and is its earliest
-- (first landed, then first seen, then smallest key). A returned row is a customer whose
-- anchor is not one of its own identifiers, or that has several anchors.
select customer_id, count(distinct anchor_identifier_key) as anchor_count
from {{ ref('int_identifiers_resolved') }}
group by customer_id
having count(distinct anchor_identifier_key) <> 1
    or sum(case when identifier_key = anchor_identifier_key then 1 else 0 end) <> 1
