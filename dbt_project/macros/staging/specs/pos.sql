{#- Specs of pos/*. Times are store-local: staging_select is called with stores=ref('stores') and
    reads the zone of each row's store_id (an unknown store is quarantined: no zone, no time). -#}
{% macro spec_pos__receipts() -%}
{{ return({
    'source': 'pos', 'entity': 'receipts', 'key': ['receipt_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('receipt_id', required=true),
        stg_column('store_id', required=true),
        stg_column('receipted_at', 'ts', src='receipt_time', required=true),
        stg_column('member_card_no'),
        stg_column('phone_hash', 'phone', src='phone'),
        stg_column('total_cny', 'money', required=true, nonneg=true),
        stg_column('discount_cny', 'money', nonneg=true),
        stg_column('payment_method'),
        stg_column('assistant_id'),
    ],
}) }}
{%- endmacro %}

{% macro spec_pos__receipt_lines() -%}
{{ return({
    'source': 'pos', 'entity': 'receipt_lines', 'key': ['receipt_id', 'line_no'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('receipt_id', required=true),
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

{% macro spec_pos__footfall() -%}
{{ return({
    'source': 'pos', 'entity': 'footfall', 'key': ['store_id', 'sensor_id', 'hour_start_at'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('store_id', required=true),
        stg_column('sensor_id', required=true),
        stg_column('hour_start_at', 'ts', src='hour_start', required=true),
        stg_column('entries', 'int', required=true, nonneg=true),
        stg_column('exits', 'int', nonneg=true),
    ],
}) }}
{%- endmacro %}

{% macro spec_pos__assistant_interactions() -%}
{{ return({
    'source': 'pos', 'entity': 'assistant_interactions', 'key': ['interaction_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('interaction_id', required=true),
        stg_column('store_id', required=true),
        stg_column('assistant_id', required=true),
        stg_column('interacted_at', 'ts', src='interaction_time', required=true),
        stg_column('member_card_no'),
        stg_column('phone_hash', 'phone', src='phone'),
        stg_column('interaction_type', 'enum', values=['consult', 'trial', 'fitting']),
        stg_column('duration_s', 'int', nonneg=true),
    ],
}) }}
{%- endmacro %}
