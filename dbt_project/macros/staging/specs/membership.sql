{#- Specs of membership/*. Members are re-sent whole when they change: per member_id the latest
    _loaded_at wins, then the highest (source file, line) (the later line is the later change). -#}
{% macro spec_membership__members() -%}
{{ return({
    'source': 'membership', 'entity': 'members', 'key': ['member_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('member_id', required=true),
        col('card_no', required=true),
        col('user_id'),
        col('phone_hash', 'phone', src='phone'),
        col('email_hash', 'email', src='email'),
        col('national_id_hash', 'national_id', src='national_id'),
        col('gender', 'gender'),
        col('birth_date', 'date'),
        col('registered_at', 'ts', src='register_time', required=true),
        col('register_channel'),
        col('register_store_id'),
        col('region_code', 'region', src='region'),
    ],
}) }}
{%- endmacro %}

{% macro spec_membership__points_ledger() -%}
{{ return({
    'source': 'membership', 'entity': 'points_ledger', 'key': ['entry_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('entry_id', required=true),
        col('member_id', required=true),
        col('points', 'int', required=true),
        col('reason', 'enum', values=['purchase', 'redeem', 'expire', 'bonus']),
        col('occurred_at', 'ts', src='occurred_time', required=true),
        col('order_id'),
    ],
}) }}
{%- endmacro %}

{% macro spec_membership__level_changes() -%}
{{ return({
    'source': 'membership', 'entity': 'level_changes', 'key': ['change_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('change_id', required=true),
        col('member_id', required=true),
        col('from_level'),
        col('to_level', required=true),
        col('changed_at', 'ts', src='changed_time', required=true),
    ],
}) }}
{%- endmacro %}
