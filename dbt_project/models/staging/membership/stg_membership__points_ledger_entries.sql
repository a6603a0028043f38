{%- set spec = spec_membership__points_ledger() %}

with typed as (
    {{ staging_select(source('membership', 'points_ledger'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    entry_id,
    member_id,
    points,
    reason,
    occurred_at,
    order_id,
    _source_file,
    _line_number,
    _loaded_at
from deduped
