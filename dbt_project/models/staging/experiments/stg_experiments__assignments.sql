{%- set spec = spec_experiments__assignments() %}

with typed as (
    {{ staging_select(source('experiments', 'assignments'), spec) }}
),

deduped as (
    {{ dedupe_valid('typed', spec) }}
)

select
    experiment_id,
    variant,
    unit_type,
    unit_id,
    assigned_at,
    _source_file,
    _line_number,
    _loaded_at
from deduped
