-- customer_state_daily has one row per (customer_id, state_date).
select customer_id, state_date, count(*) as rows_per_key
from {{ ref('customer_state_daily') }}
group by customer_id, state_date
having count(*) > 1
