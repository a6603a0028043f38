{#- Spec of app/events (docs/input_contract.md). Dedup: per event_id the latest _loaded_at wins,
    then the lowest (source file, line): events are immutable, a re-send is a copy. -#}
{% macro spec_app__events() -%}
{{ return({
    'source': 'app', 'entity': 'events', 'key': ['event_id'],
    'order_by': '_loaded_at desc, _source_file asc, _line_number asc',
    'columns': [
        stg_column('event_id', required=true),
        stg_column('event_type', 'enum', required=true,
            values=['view', 'search', 'add_cart', 'remove_cart', 'checkout_start', 'pay', 'share']),
        stg_column('event_at', 'ts', src='event_time', required=true),
        stg_column('user_id'),
        stg_column('device_id', required=true),
        stg_column('openid'),
        stg_column('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
        stg_column('channel', 'enum', values=['douyin', 'wechat_mp', 'official_site', 'app_store', 'offline']),
        stg_column('session_id'),
        stg_column('sku'),
        stg_column('category'),
        stg_column('price_cny', 'money', nonneg=true),
        stg_column('quantity', 'int'),
        stg_column('dwell_ms', 'int', nonneg=true),
        stg_column('search_query'),
        stg_column('stock_status', 'enum', values=['in_stock', 'out_of_stock']),
        stg_column('error_code'),
        stg_column('order_id'),
    ],
}) }}
{%- endmacro %}
