-- Every online order is placed by an app account, so it resolves to a customer unless its
-- user_id was excluded by the over-merge guard. A returned row is an online order without a
-- customer whose user_id is not excluded (an identity resolution gap).
select o.order_id, s.user_id
from {{ ref('fct_orders') }} as o
inner join {{ ref('stg_shop__orders') }} as s on s.order_id = o.order_id
left join {{ ref('identity_excluded_identifiers') }} as x on x.identifier_key = 'user_id:' || s.user_id
where o.order_channel = 'online' and o.customer_id is null and x.identifier_key is null

{#- Shown in Dagster as an asset check on fct_orders (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}
