{#- Every raw row is accounted for, per entity:

        raw rows = staged rows + quarantined rows + duplicates removed

    A raw row is identified by (_source_file, _line_number, _loaded_at): a path delivered again
    with new content lands again, later. Raw rows that are neither staged nor quarantined are the
    duplicates removed; only those (few) are typed again with the staging spec, and each must be
    valid and carry the key of a staged row (a valid copy the dedup did not pick; keys compare
    NULL-safe, as the dedup partitions them: an anonymous live viewer has no user_id). Re-typing
    every raw row instead made this test as slow as staging itself (130 s of 170 s of tests at
    scale l). Also fails when a quarantined row is staged or has no raw row, or a staged row
    points at a raw row that doesn't exist. Raw and staged rows are paired by one full outer join
    per entity, keeping only the unpaired rows (two anti-joins built a hash table of every row
    twice); the whole test alone at scale l went from 63 to 32 s. Returns one row per entity
    that doesn't reconcile. -#}
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
    ('community', 'groups', 'stg_community__groups', spec_community__groups(), false),
    ('community', 'group_members', 'stg_community__group_members', spec_community__group_members(), false),
    ('community', 'group_messages_daily', 'stg_community__group_messages_daily', spec_community__group_messages_daily(), false),
    ('live', 'sessions', 'stg_live__sessions', spec_live__sessions(), false),
    ('live', 'attendance', 'stg_live__attendance', spec_live__attendance(), false),
    ('recs', 'impressions', 'stg_recs__impressions', spec_recs__impressions(), false),
    ('recs', 'clicks', 'stg_recs__clicks', spec_recs__clicks(), false),
    ('ads', 'spend_daily', 'stg_ads__spend_daily', spec_ads__spend_daily(), false),
    ('survey', 'nps_responses', 'stg_survey__nps_responses', spec_survey__nps_responses(), false),
    ('experiments', 'assignments', 'stg_experiments__assignments', spec_experiments__assignments(), false),
    ('experiments', 'outcomes', 'stg_experiments__outcomes', spec_experiments__outcomes(), false),
] %}

with
{%- for src, ent, model, spec, store_local in checks %}
{%- set n = src ~ '__' ~ ent %}
{%- set staged = ref(model) %}
{%- set quarantined = ref('quarantine_' ~ src) %}
{%- set same_row = "{a}._source_file = {b}._source_file and {a}._line_number = {b}._line_number and {a}._loaded_at = {b}._loaded_at" %}
-- raw rows without a staged row and staged rows without a raw row: one join over both tables
-- (two anti-joins built a hash table of every row twice); the result is small.
unpaired_{{ n }} as (
    select
        coalesce(r._source_file, s._source_file) as _source_file,
        coalesce(r._line_number, s._line_number) as _line_number,
        coalesce(r._loaded_at, s._loaded_at) as _loaded_at,
        r._loaded_at is null as is_staged_without_raw
    from {{ source(src, ent) }} as r
    full outer join (select _source_file, _line_number, _loaded_at from {{ staged }}) as s
        on {{ same_row.format(a='s', b='r') }}
    where r._loaded_at is null or s._loaded_at is null
),

quarantined_{{ n }} as (
    select _source_file, _line_number, _loaded_at
    from {{ quarantined }}
    where entity = '{{ ent }}'
),

-- raw rows neither staged nor quarantined: the duplicates the dedup removed
removed_{{ n }} as (
    select p._source_file, p._line_number, p._loaded_at
    from unpaired_{{ n }} as p
    left join quarantined_{{ n }} as q on {{ same_row.format(a='q', b='p') }}
    where not p.is_staged_without_raw and q._loaded_at is null
),

{#- the hash pre-filter (no false negatives; collisions are dropped by the join) makes DuckDB
    probe raw against the few removed rows instead of building on raw: 15 -> 12 s for the
    events at scale l -#}
{%- set removed_raw_rows %}
    (
        select r.*
        from {{ source(src, ent) }} as r
        inner join removed_{{ n }} as d on {{ same_row.format(a='d', b='r') }}
        where hash(r._source_file, r._line_number, r._loaded_at) in (
            select hash(h._source_file, h._line_number, h._loaded_at) from removed_{{ n }} as h
        )
    )
{%- endset %}
duplicates_{{ n }} as (
    select
        count(*) as duplicates_removed,
        coalesce(sum(case when u._reject_reason is null and sk.{{ spec.key[0] }} is not null
            then 0 else 1 end), 0) as not_duplicates
    from (
        {{ staging_select(removed_raw_rows, spec, stores=(ref('stores') if store_local else none)) }}
    ) as u
    left join (select {{ spec.key | join(', ') }} from {{ staged }}) as sk
        on {% for k in spec.key %}{{ 'and ' if not loop.first }}sk.{{ k }} is not distinct from u.{{ k }} {% endfor %}
),

counts_{{ n }} as (
    select
        '{{ src }}/{{ ent }}' as entity,
        (select count(*) from {{ source(src, ent) }}) as raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        (select count(*) from quarantined_{{ n }}) as quarantined_rows,
        du.duplicates_removed,
        du.not_duplicates,
        -- a quarantined row must be a raw row that was not staged
        (select count(*) from quarantined_{{ n }} as q
            left join unpaired_{{ n }} as p
                on not p.is_staged_without_raw and {{ same_row.format(a='p', b='q') }}
            where p._loaded_at is null
        ) as quarantined_staged_or_without_raw,
        (select count(*) from unpaired_{{ n }} where is_staged_without_raw) as staged_without_raw
    from duplicates_{{ n }} as du
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
   or not_duplicates > 0
   or quarantined_staged_or_without_raw > 0
   or staged_without_raw > 0

{#- Shown in Dagster as an asset check on stg_app__events (the test reads several models). -#}
{{ config(meta={'dagster': {'ref': {'name': 'stg_app__events'}}}) }}
