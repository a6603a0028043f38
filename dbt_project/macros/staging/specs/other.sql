{#- Specs of logistics/shipments, social/tags and dmp/segments. -#}
{% macro spec_logistics__shipments() -%}
{{ return({
    'source': 'logistics', 'entity': 'shipments', 'key': ['shipment_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('shipment_id', required=true),
        col('order_id', required=true),
        col('carrier'),
        col('region_code', 'region', src='region'),
        col('receiver_phone_hash', 'phone', src='receiver_phone'),
        col('promised_at', 'ts', src='promised_time'),
        col('shipped_at', 'ts', src='shipped_time'),
        col('delivered_at', 'ts', src='delivered_time'),
        col('preferred_slot', 'enum', values=['weekday_daytime', 'weekday_evening', 'weekend', 'any']),
    ],
}) }}
{%- endmacro %}

{#- Social tags: grain (phone_hash, platform, tag), the latest observation wins. -#}
{% macro spec_social__tags() -%}
{{ return({
    'source': 'social', 'entity': 'tags', 'key': ['phone_hash', 'platform', 'tag'],
    'order_by': 'observed_at desc, _loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('platform', 'enum', required=true, values=['wechat', 'douyin', 'weibo']),
        col('phone_hash', 'phone', src='phone', required=true),
        col('tag', required=true),
        col('confidence', 'number', nonneg=true),
        col('observed_at', 'ts', src='observed_time', required=true),
    ],
}) }}
{%- endmacro %}

{#- DMP segments: grain (device_id, segment_code, valid_from_date); dates, no zone. -#}
{% macro spec_dmp__segments() -%}
{{ return({
    'source': 'dmp', 'entity': 'segments', 'key': ['device_id', 'segment_code', 'valid_from_date'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('device_id', required=true),
        col('segment_code', required=true),
        col('score', 'number'),
        col('valid_from_date', 'date', src='valid_from', required=true),
        col('valid_to_date', 'date', src='valid_to'),
    ],
}) }}
{%- endmacro %}
