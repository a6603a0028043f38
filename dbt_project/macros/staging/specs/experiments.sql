{#- Specs of the experiment exports (docs/input_contract.md, experiments). Unit ids are user,
    device or member ids, not personal data: they pass through as delivered. -#}

{#- Assignments: grain (experiment_id, unit_id); a unit delivered twice keeps its first
    assignment (the exposure that counts), later copies or re-assignments are dropped. -#}
{% macro spec_experiments__assignments() -%}
{{ return({
    'source': 'experiments', 'entity': 'assignments', 'key': ['experiment_id', 'unit_id'],
    'order_by': 'assigned_at asc, _loaded_at asc, _source_file asc, _line_number asc',
    'columns': [
        stg_column('experiment_id', required=true),
        stg_column('variant', required=true),
        stg_column('unit_type', 'enum', values=['user_id', 'device_id', 'member_id']),
        stg_column('unit_id', required=true),
        stg_column('assigned_at', 'ts', src='assigned_time', required=true),
    ],
}) }}
{%- endmacro %}

{#- Outcome events: grain event_id, the latest delivery wins. -#}
{% macro spec_experiments__outcomes() -%}
{{ return({
    'source': 'experiments', 'entity': 'outcomes', 'key': ['event_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('event_id', required=true),
        stg_column('experiment_id', required=true),
        stg_column('unit_id', required=true),
        stg_column('event_type', 'enum', required=true, values=['order', 'conversion']),
        stg_column('event_at', 'ts', src='event_time', required=true),
        stg_column('value_cny', 'money', nonneg=true),
    ],
}) }}
{%- endmacro %}
