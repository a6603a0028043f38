{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Cluster-level identity changes, derived from int_identity_mapping_history (identifier level).
    For each run (recorded_at batch) not yet in this table:
      new    a customer_id that did not exist before the run and received no identifier from an
             existing customer (rule new_identifiers)
      merge  identifiers of previous_customer_id moved to customer_id and previous_customer_id no
             longer exists (rule new_evidence_link: new evidence joined two clusters; the older
             anchor keeps its id)
      split  identifiers of previous_customer_id moved to customer_id while previous_customer_id
             still exists (rule over_merge_guard when an identifier of the old cluster is now
             excluded by the guard, otherwise link_removed)
    Identifiers attached to an existing customer, or removed without moving, produce no cluster
    event (they are in the history model). Full refresh rebuilds the log from the history. -#}

with history as (

    select
        identifier_key,
        customer_id,
        previous_customer_id,
        change_reason,
        recorded_at,
        lead(recorded_at) over (partition by identifier_key order by recorded_at) as superseded_at
    from {{ ref('int_identity_mapping_history') }}

),

batches as (

    select distinct recorded_at as batch_at
    from history
    {% if is_incremental() %}
    where recorded_at > (select coalesce(max(changed_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {% endif %}

),

batch_rows as (

    select h.*
    from history as h
    inner join batches as b on b.batch_at = h.recorded_at

),

-- customer ids existing before / after each batch
alive_before as (

    select distinct b.batch_at, h.customer_id
    from batches as b
    inner join history as h
        on h.recorded_at < b.batch_at
        and (h.superseded_at is null or h.superseded_at >= b.batch_at)
    where h.customer_id is not null

),

alive_after as (

    select distinct b.batch_at, h.customer_id
    from batches as b
    inner join history as h
        on h.recorded_at <= b.batch_at
        and (h.superseded_at is null or h.superseded_at > b.batch_at)
    where h.customer_id is not null

),

guarded as (

    select distinct recorded_at as batch_at, previous_customer_id
    from batch_rows
    where change_reason = 'excluded_by_guard'

),

moves as (

    select distinct recorded_at as batch_at, customer_id, previous_customer_id
    from batch_rows
    where customer_id is not null
        and previous_customer_id is not null
        and customer_id <> previous_customer_id

),

move_events as (

    select
        m.batch_at,
        case when aa.customer_id is null then 'merge' else 'split' end as change_type,
        m.customer_id,
        m.previous_customer_id,
        case
            when aa.customer_id is null then 'new_evidence_link'
            when g.previous_customer_id is not null then 'over_merge_guard'
            else 'link_removed'
        end as rule
    from moves as m
    left join alive_after as aa
        on aa.batch_at = m.batch_at and aa.customer_id = m.previous_customer_id
    left join guarded as g
        on g.batch_at = m.batch_at and g.previous_customer_id = m.previous_customer_id

),

new_events as (

    select distinct
        r.recorded_at as batch_at,
        'new' as change_type,
        r.customer_id,
        cast(null as {{ dbt.type_string() }}) as previous_customer_id,
        'new_identifiers' as rule
    from batch_rows as r
    left join alive_before as ab
        on ab.batch_at = r.recorded_at and ab.customer_id = r.customer_id
    left join moves as m
        on m.batch_at = r.recorded_at and m.customer_id = r.customer_id
    where r.customer_id is not null
        and ab.customer_id is null
        and m.customer_id is null

),

events as (

    select batch_at, change_type, customer_id, previous_customer_id, rule from move_events
    union all
    select batch_at, change_type, customer_id, previous_customer_id, rule from new_events

)

select
    {{ dbt.hash(dbt.concat([
        "cast(batch_at as " ~ dbt.type_string() ~ ")", "'|'", "change_type", "'|'", "customer_id",
        "'|'", "coalesce(previous_customer_id, '')"
    ])) }} as change_id,
    batch_at as changed_at,
    change_type,
    customer_id,
    previous_customer_id,
    rule
from events
