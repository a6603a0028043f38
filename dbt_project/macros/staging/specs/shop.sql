{#- Specs of shop/* (docs/input_contract.md). Dedup: per key the latest _loaded_at wins, then the
    highest (source file, line) (a corrected re-send comes later). -#}
{% macro spec_shop__orders() -%}
{{ return({
    'source': 'shop', 'entity': 'orders', 'key': ['order_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('order_id', required=true),
        col('user_id', required=true),
        col('device_id'),
        col('ordered_at', 'ts', src='order_time', required=true),
        col('status', 'enum', required=true, values=['paid', 'cancelled']),
        col('channel', 'enum', values=['app', 'miniprogram', 'web', 'douyin_shop']),
        col('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
        col('region_code', 'region', src='region'),
        col('receiver_phone_hash', 'phone', src='receiver_phone'),
        col('items_amount_cny', 'money', required=true, nonneg=true),
        col('discount_cny', 'money', nonneg=true),
        col('coupon_cny', 'money', nonneg=true),
        col('shipping_fee_cny', 'money', nonneg=true),
        col('pay_amount_cny', 'money', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__order_items() -%}
{{ return({
    'source': 'shop', 'entity': 'order_items', 'key': ['order_id', 'line_no'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('order_id', required=true),
        col('line_no', 'int', required=true, nonneg=true),
        col('sku', required=true),
        col('category', required=true),
        col('brand'),
        col('quantity', 'int', required=true, nonneg=true),
        col('unit_price_cny', 'money', required=true, nonneg=true),
        col('discount_cny', 'money', nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__payments() -%}
{{ return({
    'source': 'shop', 'entity': 'payments', 'key': ['payment_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('payment_id', required=true),
        col('order_id', required=true),
        col('paid_at', 'ts', src='paid_time', required=true),
        col('method', 'enum', values=['alipay', 'wechat_pay', 'card']),
        col('amount_cny', 'money', required=true, nonneg=true),
        col('status', 'enum', values=['success', 'failed']),
    ],
}) }}
{%- endmacro %}

{% macro spec_shop__refunds() -%}
{{ return({
    'source': 'shop', 'entity': 'refunds', 'key': ['refund_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('refund_id', required=true),
        col('order_id', required=true),
        col('sku'),
        col('refund_type', 'enum', values=['refund', 'return']),
        col('amount_cny', 'money', required=true, nonneg=true),
        col('requested_at', 'ts', src='requested_time', required=true),
        col('completed_at', 'ts', src='completed_time'),
        col('reason'),
    ],
}) }}
{%- endmacro %}
