{#- Specs of shop/* (docs/input_contract.md). Dedup: per key the latest _loaded_at wins, then the
    highest (source file, line) (a corrected re-send comes later). -#}
{% macro spec_shop__orders() -%}
{{ return({
    'source': 'shop', 'entity': 'orders', 'key': ['order_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('order_id', required=true),
        stg_column('user_id', required=true),
        stg_column('device_id'),
        stg_column('ordered_at', 'ts', src='order_time', required=true),
        stg_column('status', 'enum', required=true, values=['paid', 'cancelled']),
        stg_column('channel', 'enum', values=['app', 'miniprogram', 'web', 'douyin_shop']),
        stg_column('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
        stg_column('region_code', 'region', src='region'),
        stg_column('receiver_phone_hash', 'phone', src='receiver_phone'),
        stg_column('items_amount_cny', 'money', required=true, nonneg=true),
        stg_column('discount_cny', 'money', nonneg=true),
        stg_column('coupon_cny', 'money', nonneg=true),
        stg_column('shipping_fee_cny', 'money', nonneg=true),
        stg_column('pay_amount_cny', 'money', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__order_items() -%}
{{ return({
    'source': 'shop', 'entity': 'order_items', 'key': ['order_id', 'line_no'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('order_id', required=true),
        stg_column('line_no', 'int', required=true, nonneg=true),
        stg_column('sku', required=true),
        stg_column('category', required=true),
        stg_column('brand'),
        stg_column('quantity', 'int', required=true, nonneg=true),
        stg_column('unit_price_cny', 'money', required=true, nonneg=true),
        stg_column('discount_cny', 'money', nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__payments() -%}
{{ return({
    'source': 'shop', 'entity': 'payments', 'key': ['payment_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('payment_id', required=true),
        stg_column('order_id', required=true),
        stg_column('paid_at', 'ts', src='paid_time', required=true),
        stg_column('method', 'enum', values=['alipay', 'wechat_pay', 'card']),
        stg_column('amount_cny', 'money', required=true, nonneg=true),
        stg_column('status', 'enum', values=['success', 'failed']),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__refunds() -%}
{{ return({
    'source': 'shop', 'entity': 'refunds', 'key': ['refund_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('refund_id', required=true),
        stg_column('order_id', required=true),
        stg_column('sku'),
        stg_column('refund_type', 'enum', values=['refund', 'return']),
        stg_column('amount_cny', 'money', required=true, nonneg=true),
        stg_column('requested_at', 'ts', src='requested_time', required=true),
        stg_column('completed_at', 'ts', src='completed_time'),
        stg_column('reason'),
    ],
}) }}
{%- endmacro %}
