{#- Adds and removes of each audience's snapshot against that audience's previous snapshot
    (the newest earlier snapshot_date in audience_snapshots), at the grain (audience_code,
    customer_id, offer_code). An audience's first snapshot is all adds. Incremental per
    snapshot_date like audience_snapshots: a run writes the changes of its own date. -#}
{{ config(
    materialized='incremental',
    incremental_strategy=replace_rows_strategy(),
    unique_key='snapshot_date',
    partition_by=replace_rows_partition_by('snapshot_date'),
    on_schema_change='append_new_columns'
) }}

with current_snapshot as (

    select audience_code, customer_id, offer_code, snapshot_date, is_holdout
    from {{ ref('audience_members') }}

),

run_date as (

    select {{ segmentation_as_of_date() }} as snapshot_date

),

previous_dates as (

    select s.audience_code, max(s.snapshot_date) as previous_date
    from {{ ref('audience_snapshots') }} as s
    cross join run_date as r
    where s.snapshot_date < r.snapshot_date
    group by s.audience_code

),

previous_snapshot as (

    select s.audience_code, s.customer_id, s.offer_code, s.snapshot_date, s.is_holdout
    from {{ ref('audience_snapshots') }} as s
    inner join previous_dates as p
        on p.audience_code = s.audience_code and p.previous_date = s.snapshot_date

)

select
    cast(r.snapshot_date as date) as snapshot_date,
    cast(coalesce(c.audience_code, p.audience_code) as {{ dbt.type_string() }}) as audience_code,
    cast(coalesce(c.customer_id, p.customer_id) as {{ dbt.type_string() }}) as customer_id,
    cast(coalesce(c.offer_code, p.offer_code) as {{ dbt.type_string() }}) as offer_code,
    cast(case when p.customer_id is null then 'add' else 'remove' end as {{ dbt.type_string() }}) as change_type,
    cast(coalesce(c.is_holdout, p.is_holdout) as boolean) as is_holdout,
    cast(pd.previous_date as date) as previous_snapshot_date
from current_snapshot as c
full outer join previous_snapshot as p
    on p.audience_code = c.audience_code
   and p.customer_id = c.customer_id
   and p.offer_code = c.offer_code
cross join run_date as r
left join previous_dates as pd on pd.audience_code = coalesce(c.audience_code, p.audience_code)
where c.customer_id is null or p.customer_id is null
