{#- Incremental on the landing time (see stg_app__events for the lookback rule): the key's
    newest landed copy wins, as in a full build (spec order: _loaded_at desc first). -#}
{%- set spec = spec_membership__points_ledger() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('membership', 'points_ledger'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
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
