{%- set spec = spec_experiments__outcomes() %}

with typed as (
    {{ staging_select(source('experiments', 'outcomes'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    event_id,
    experiment_id,
    unit_id,
    event_type,
    event_at,
    value_cny,
    _source_file,
    _line_number,
    _loaded_at
from deduped
