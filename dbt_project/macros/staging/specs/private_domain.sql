{#- Specs of the private-domain sources (docs/input_contract.md): community groups (WeChat groups
    run by the brand) and live-stream sessions. Member openids are keyed-hashed (kind pseudonym);
    user_id is the app account, already a pseudonymous platform id (as in app/events). -#}

{#- Groups: grain group_id; the latest delivery wins (a rename is a re-send). -#}
{% macro spec_community__groups() -%}
{{ return({
    'source': 'community', 'entity': 'groups', 'key': ['group_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('group_id', required=true),
        stg_column('group_name'),
        stg_column('theme', 'enum', required=true,
            values=['mothers', 'students', 'makeup', 'gadgets', 'running']),
        stg_column('created_at', 'ts', src='created_time', required=true),
    ],
}) }}
{%- endmacro %}

{#- Group members: grain (group_id, user_id); the latest delivery wins. -#}
{% macro spec_community__group_members() -%}
{{ return({
    'source': 'community', 'entity': 'group_members', 'key': ['group_id', 'user_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('group_id', required=true),
        stg_column('user_id', required=true),
        stg_column('openid_hash', 'pseudonym', src='openid'),
        stg_column('joined_at', 'ts', src='joined_time', required=true),
    ],
}) }}
{%- endmacro %}

{#- Daily message counts: grain (group_id, message_date, a local date); the latest delivery wins
    (a corrected count is a re-send). -#}
{% macro spec_community__group_messages_daily() -%}
{{ return({
    'source': 'community', 'entity': 'group_messages_daily', 'key': ['group_id', 'message_date'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('group_id', required=true),
        stg_column('message_date', 'date', required=true),
        stg_column('message_count', 'int', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}

{#- Live sessions: grain session_id; the latest delivery wins (a rescheduled session is a re-send). -#}
{% macro spec_live__sessions() -%}
{{ return({
    'source': 'live', 'entity': 'sessions', 'key': ['session_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('session_id', required=true),
        stg_column('title'),
        stg_column('category', required=true),
        stg_column('host'),
        stg_column('start_at', 'ts', src='start_time', required=true),
        stg_column('planned_minutes', 'int', nonneg=true),
    ],
}) }}
{%- endmacro %}

{#- Attendance: grain (session_id, user_id, openid_hash, joined_at): one row per join of a
    viewer (user_id, else only the hashed openid of an anonymous mini-program viewer). -#}
{% macro spec_live__attendance() -%}
{{ return({
    'source': 'live', 'entity': 'attendance', 'key': ['session_id', 'user_id', 'openid_hash', 'joined_at'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('session_id', required=true),
        stg_column('user_id'),
        stg_column('openid_hash', 'pseudonym', src='openid'),
        stg_column('joined_at', 'ts', src='joined_time', required=true),
        stg_column('watch_seconds', 'int', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}
