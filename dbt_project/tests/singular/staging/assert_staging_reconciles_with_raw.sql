{#- Every raw row is accounted for, per entity:

        raw rows = staged rows + quarantined rows + duplicates removed

    raw rows from the source table, staged rows from the staged model, quarantined rows from
    quarantine_<source>; duplicates removed = valid rows - distinct keys among valid rows
    (valid = passes validation, recomputed with the same spec). Also fails when a raw line is
    both staged and quarantined, or a staged row points at a raw line that doesn't exist.
    Returns one row per entity that doesn't reconcile. -#}
{%- set checks = [
    ('app', 'events', 'stg_app__events', spec_app__events(), false),
    ('shop', 'orders', 'stg_shop__orders', spec_shop__orders(), false),
    ('shop', 'order_items', 'stg_shop__order_items', spec_shop__order_items(), false),
    ('shop', 'payments', 'stg_shop__payments', spec_shop__payments(), false),
    ('shop', 'refunds', 'stg_shop__refunds', spec_shop__refunds(), false),
    ('membership', 'members', 'stg_membership__members', spec_membership__members(), false),
    ('membership', 'points_ledger', 'stg_membership__points_ledger_entries', spec_membership__points_ledger(), false),
    ('membership', 'level_changes', 'stg_membership__level_changes', spec_membership__level_changes(), false),
    ('pos', 'receipts', 'stg_pos__receipts', spec_pos__receipts(), true),
    ('pos', 'receipt_lines', 'stg_pos__receipt_lines', spec_pos__receipt_lines(), false),
    ('pos', 'footfall', 'stg_pos__footfall_counts', spec_pos__footfall(), true),
    ('pos', 'assistant_interactions', 'stg_pos__assistant_interactions', spec_pos__assistant_interactions(), true),
    ('logistics', 'shipments', 'stg_logistics__shipments', spec_logistics__shipments(), false),
    ('social', 'tags', 'stg_social__tags', spec_social__tags(), false),
    ('dmp', 'segments', 'stg_dmp__segments', spec_dmp__segments(), false),
] %}

with
{%- for src, ent, model, spec, store_local in checks %}
{%- set n = src ~ '__' ~ ent %}
typed_{{ n }} as (
    {{ staging_select(source(src, ent), spec, stores=(ref('stores') if store_local else none)) }}
),

counts_{{ n }} as (
    select
        '{{ src }}/{{ ent }}' as entity,
        (select count(*) from {{ source(src, ent) }}) as raw_rows,
        (select count(*) from {{ ref(model) }}) as staged_rows,
        (select count(*) from {{ ref('quarantine_' ~ src) }} where entity = '{{ ent }}') as quarantined_rows,
        (select count(*) from typed_{{ n }} where _reject_reason is null)
        - (select count(*) from (
            select distinct {{ spec.key | join(', ') }} from typed_{{ n }} where _reject_reason is null
        ) as k) as duplicates_removed,
        (select count(*) from {{ ref(model) }} as s
            inner join {{ ref('quarantine_' ~ src) }} as q
                on q.entity = '{{ ent }}' and q._source_file = s._source_file and q._line_number = s._line_number
        ) as staged_and_quarantined,
        (select count(*) from {{ ref(model) }} as s
            where not exists (
                select 1 from {{ source(src, ent) }} as r
                where r._source_file = s._source_file and r._line_number = s._line_number
            )
        ) as staged_without_raw
),
{%- endfor %}

all_counts as (
{%- for src, ent, model, spec, store_local in checks %}
    select * from counts_{{ src ~ '__' ~ ent }}
    {%- if not loop.last %} union all{% endif %}
{%- endfor %}
)

select *
from all_counts
where raw_rows <> staged_rows + quarantined_rows + duplicates_removed
   or staged_and_quarantined > 0
   or staged_without_raw > 0

{#- Shown in Dagster as an asset check on stg_app__events (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'stg_app__events'}}}) }}
