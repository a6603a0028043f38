select
    cast(st.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(st.eval_date as date) as as_of_date,
    cast(st.registered_date as date) as registered_date,
    cast(st.tenure_start_date as date) as tenure_start_date,
    cast(st.tenure_days as integer) as tenure_days,
    cast(st.has_purchased as boolean) as has_purchased,
    cast(st.last_purchase_date as date) as last_purchase_date,
    cast(st.recency_days as integer) as days_since_last_purchase,
    cast(st.days_without_purchase as integer) as days_without_purchase,
    cast(st.lifecycle_stage_code as {{ dbt.type_string() }}) as lifecycle_stage,
    cast(ls.stage_name_en as {{ dbt.type_string() }}) as lifecycle_stage_name_en,
    cast(ls.stage_name_zh as {{ dbt.type_string() }}) as lifecycle_stage_name_zh,
    cast(ls.tactic_en as {{ dbt.type_string() }}) as tactic_en,
    cast(ls.tactic_zh as {{ dbt.type_string() }}) as tactic_zh
from {{ ref('int_segmentation__customer_states') }} as st
left join {{ ref('lifecycle_stages') }} as ls on st.lifecycle_stage_code = ls.stage_code
