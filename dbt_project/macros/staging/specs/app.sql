{#- Spec of app/events (docs/input_contract.md). Dedup: per event_id the latest _loaded_at wins,
    then the lowest (source file, line): events are immutable, a re-send is a copy. -#}
{% macro spec_app__events() -%}
{{ return({
    'source': 'app', 'entity': 'events', 'key': ['event_id'],
    'order_by': '_loaded_at desc, _source_file asc, _line_number asc',
    'columns': [
        col('event_id', required=true),
        col('event_type', 'enum', required=true,
            values=['view', 'search', 'add_cart', 'remove_cart', 'checkout_start', 'pay', 'share']),
        col('event_at', 'ts', src='event_time', required=true),
        col('user_id'),
        col('device_id', required=true),
        col('openid'),
        col('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
        col('channel', 'enum', values=['douyin', 'wechat_mp', 'official_site', 'app_store', 'offline']),
        col('session_id'),
        col('sku'),
        col('category'),
        col('price_cny', 'money', nonneg=true),
        col('quantity', 'int'),
        col('dwell_ms', 'int', nonneg=true),
        col('search_query'),
        col('stock_status', 'enum', values=['in_stock', 'out_of_stock']),
        col('error_code'),
        col('order_id'),
    ],
}) }}
{%- endmacro %}
