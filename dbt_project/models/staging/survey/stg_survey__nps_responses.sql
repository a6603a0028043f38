{%- set spec = spec_survey__nps_responses() %}

with typed as (
    {{ staging_select(source('survey', 'nps_responses'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    response_id,
    user_id,
    platform,
    cast(score as integer) as score,
    responded_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
