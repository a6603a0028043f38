{#- Incremental on the landing time (see stg_app__events for the lookback rule): the key's
    newest landed copy wins, as in a full build (spec order: _loaded_at desc first). -#}
{%- set spec = spec_membership__members() %}
{{ staging_incremental_config(spec) }}

with typed as (
    {{ staging_select(source('membership', 'members'), spec, where=incremental_lookback_filter('r._loaded_at')) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    member_id,
    card_no,
    user_id,
    phone_hash,
    email_hash,
    national_id_hash,
    gender,
    birth_date,
    registered_at,
    register_channel,
    register_store_id,
    region_code,
    _source_file,
    _line_number,
    _loaded_at
from deduped
