-- Every customer in dim_customers has exactly one row, with a non-null label, in each of
-- customer_rfm, customer_lifecycle and customer_membership_tiers (and no extra customers).
with customers as (
    select customer_id from {{ ref('dim_customers') }}
),

labels as (
    select 'customer_rfm' as mart, customer_id, rfm_segment_code as label from {{ ref('customer_rfm') }}
    union all
    select 'customer_lifecycle' as mart, customer_id, lifecycle_stage as label from {{ ref('customer_lifecycle') }}
    union all
    select 'customer_membership_tiers' as mart, customer_id, tier as label from {{ ref('customer_membership_tiers') }}
),

marts as (
    select 'customer_rfm' as mart union all select 'customer_lifecycle' union all select 'customer_membership_tiers'
),

expected as (
    select ma.mart, cu.customer_id from marts as ma cross join customers as cu
),

per_customer as (
    select mart, customer_id, count(*) as label_rows, count(label) as non_null_labels
    from labels
    group by mart, customer_id
)

select
    coalesce(ex.mart, pc.mart) as mart,
    coalesce(ex.customer_id, pc.customer_id) as customer_id,
    coalesce(pc.label_rows, 0) as label_rows,
    coalesce(pc.non_null_labels, 0) as non_null_labels
from expected as ex
full outer join per_customer as pc
    on ex.mart = pc.mart
    and ex.customer_id = pc.customer_id
where ex.customer_id is null
    or pc.customer_id is null
    or pc.label_rows <> 1
    or pc.non_null_labels <> 1

{#- Shown in Dagster as an asset check on customer_rfm (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'customer_rfm'}}}) }}
