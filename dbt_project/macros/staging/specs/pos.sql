{#- Specs of pos/*. Times are store-local: staging_select is called with stores=ref('stores') and
    reads the zone of each row's store_id (an unknown store is quarantined: no zone, no time). -#}
{% macro spec_pos__receipts() -%}
{{ return({
    'source': 'pos', 'entity': 'receipts', 'key': ['receipt_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('receipt_id', required=true),
        col('store_id', required=true),
        col('receipted_at', 'ts', src='receipt_time', required=true),
        col('member_card_no'),
        col('phone_hash', 'phone', src='phone'),
        col('total_cny', 'money', required=true, nonneg=true),
        col('discount_cny', 'money', nonneg=true),
        col('payment_method'),
        col('assistant_id'),
    ],
}) }}
{%- endmacro %}

{% macro spec_pos__receipt_lines() -%}
{{ return({
    'source': 'pos', 'entity': 'receipt_lines', 'key': ['receipt_id', 'line_no'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('receipt_id', required=true),
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

{% macro spec_pos__footfall() -%}
{{ return({
    'source': 'pos', 'entity': 'footfall', 'key': ['store_id', 'sensor_id', 'hour_start_at'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('store_id', required=true),
        col('sensor_id', required=true),
        col('hour_start_at', 'ts', src='hour_start', required=true),
        col('entries', 'int', required=true, nonneg=true),
        col('exits', 'int', nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_pos__assistant_interactions() -%}
{{ return({
    'source': 'pos', 'entity': 'assistant_interactions', 'key': ['interaction_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        col('interaction_id', required=true),
        col('store_id', required=true),
        col('assistant_id', required=true),
        col('interacted_at', 'ts', src='interaction_time', required=true),
        col('member_card_no'),
        col('phone_hash', 'phone', src='phone'),
        col('interaction_type', 'enum', values=['consult', 'trial', 'fitting']),
        col('duration_s', 'int', nonneg=true),
    ],
}) }}
{%- endmacro %}
