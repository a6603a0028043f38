{#- Incremental on the landing time (see stg_app__events for the lookback rule): the key's
    newest landed copy wins, as in a full build (spec order: _loaded_at desc first). -#}
{%- set spec = spec_community__group_messages_daily() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('community', 'group_messages_daily'), spec,
                      where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    group_id,
    message_date,
    message_count,
    _source_file,
    _line_number,
    _loaded_at
from deduped
