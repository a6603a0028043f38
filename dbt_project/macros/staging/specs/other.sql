{#- Specs of logistics/shipments, social/tags and dmp/segments. -#}
{% macro spec_logistics__shipments() -%}
{{ return({
    'source': 'logistics', 'entity': 'shipments', 'key': ['shipment_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('shipment_id', required=true),
        stg_column('order_id', required=true),
        stg_column('carrier'),
        stg_column('region_code', 'region', src='region'),
        stg_column('receiver_phone_hash', 'phone', src='receiver_phone'),
        stg_column('promised_at', 'ts', src='promised_time'),
        stg_column('shipped_at', 'ts', src='shipped_time'),
        stg_column('delivered_at', 'ts', src='delivered_time'),
        stg_column('preferred_slot', 'enum', values=['weekday_daytime', 'weekday_evening', 'weekend', 'any']),
    ],
}) }}
{%- endmacro %}

{#- Social tags: grain (phone_hash, platform, tag), the latest observation wins. -#}
{% macro spec_social__tags() -%}
{{ return({
    'source': 'social', 'entity': 'tags', 'key': ['phone_hash', 'platform', 'tag'],
    'order_by': 'observed_at desc, _loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('platform', 'enum', required=true, values=['wechat', 'douyin', 'weibo']),
        stg_column('phone_hash', 'phone', src='phone', required=true),
        stg_column('tag', required=true),
        stg_column('confidence', 'number', nonneg=true),
        stg_column('observed_at', 'ts', src='observed_time', required=true),
    ],
}) }}
{%- endmacro %}

{#- DMP segments: grain (device_id, segment_code, valid_from_date); dates, no zone. -#}
{% macro spec_dmp__segments() -%}
{{ return({
    'source': 'dmp', 'entity': 'segments', 'key': ['device_id', 'segment_code', 'valid_from_date'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('device_id', required=true),
        stg_column('segment_code', required=true),
        stg_column('score', 'number'),
        stg_column('valid_from_date', 'date', src='valid_from', required=true),
        stg_column('valid_to_date', 'date', src='valid_to'),
    ],
}) }}
{%- endmacro %}
