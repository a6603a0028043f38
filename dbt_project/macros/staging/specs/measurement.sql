{#- Specs of the measurement feeds (issue 11): recs/impressions, recs/clicks, ads/spend_daily,
    survey/nps_responses. -#}

{#- The recommendation engine's daily report: grain (impression_date, sku, slot, platform). -#}
{% macro spec_recs__impressions() -%}
{{ return({
    'source': 'recs', 'entity': 'impressions', 'key': ['impression_date', 'sku', 'slot', 'platform'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('impression_date', 'date', required=true),
        stg_column('sku', required=true),
        stg_column('slot', 'enum', required=true, values=['home', 'product_page', 'checkout']),
        stg_column('platform', 'enum', required=true, values=['ios', 'android', 'miniprogram', 'web']),
        stg_column('impressions', 'int', required=true, nonneg=true),
        stg_column('clicks', 'int', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}

{#- Click log of signed-in users: grain click_id. -#}
{% macro spec_recs__clicks() -%}
{{ return({
    'source': 'recs', 'entity': 'clicks', 'key': ['click_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('click_id', required=true),
        stg_column('clicked_at', 'ts', src='click_time', required=true),
        stg_column('user_id', required=true),
        stg_column('device_id'),
        stg_column('sku', required=true),
        stg_column('slot', 'enum', required=true, values=['home', 'product_page', 'checkout']),
        stg_column('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
    ],
}) }}
{%- endmacro %}

{#- Ad spend: grain (spend_date, channel). -#}
{% macro spec_ads__spend_daily() -%}
{{ return({
    'source': 'ads', 'entity': 'spend_daily', 'key': ['spend_date', 'channel'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('spend_date', 'date', required=true),
        stg_column('channel', 'enum', required=true, values=['douyin', 'wechat_mp', 'official_site', 'app_store', 'offline']),
        stg_column('spend_cny', 'money', required=true, nonneg=true),
    ],
}) }}
{%- endmacro %}

{#- NPS survey responses: grain response_id; score 0..10 (others quarantined as invalid). -#}
{% macro spec_survey__nps_responses() -%}
{{ return({
    'source': 'survey', 'entity': 'nps_responses', 'key': ['response_id'],
    'order_by': '_loaded_at desc, _source_file desc, _line_number desc',
    'columns': [
        stg_column('response_id', required=true),
        stg_column('user_id'),
        stg_column('platform', 'enum', values=['ios', 'android', 'miniprogram', 'web']),
        stg_column('score', 'enum', required=true, values=['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']),
        stg_column('responded_at', 'ts', src='response_time', required=true),
    ],
}) }}
{%- endmacro %}
