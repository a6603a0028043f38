{#- Specs of membership/*. Members are re-sent whole when they change: per member_id the latest
    _loaded_at wins, then the highest (source file, line) (the later line is the later change). -#}
{% macro spec_membership__members() -%}
{{ return({
    'source': 'membership', 'entity': 'members', 'key': ['member_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('member_id', required=true),
        stg_column('card_no', required=true),
        stg_column('user_id'),
        stg_column('phone_hash', 'phone', src='phone'),
        stg_column('email_hash', 'email', src='email'),
        stg_column('national_id_hash', 'national_id', src='national_id'),
        stg_column('gender', 'gender'),
        stg_column('birth_date', 'date'),
        stg_column('registered_at', 'ts', src='register_time', required=true),
        stg_column('register_channel'),
        stg_column('register_store_id'),
        stg_column('region_code', 'region', src='region'),
    ],
}) }}
{%- endmacro %}

{% macro spec_membership__points_ledger() -%}
{{ return({
    'source': 'membership', 'entity': 'points_ledger', 'key': ['entry_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('entry_id', required=true),
        stg_column('member_id', required=true),
        stg_column('points', 'int', required=true),
        stg_column('reason', 'enum', values=['purchase', 'redeem', 'expire', 'bonus']),
        stg_column('occurred_at', 'ts', src='occurred_time', required=true),
        stg_column('order_id'),
    ],
}) }}
{%- endmacro %}

{% macro spec_membership__level_changes() -%}
{{ return({
    'source': 'membership', 'entity': 'level_changes', 'key': ['change_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('change_id', required=true),
        stg_column('member_id', required=true),
        stg_column('from_level'),
        stg_column('to_level', required=true),
        stg_column('changed_at', 'ts', src='changed_time', required=true),
    ],
}) }}
{%- endmacro %}
