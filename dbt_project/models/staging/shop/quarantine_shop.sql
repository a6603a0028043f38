{{ quarantine_incremental_config() }}
{{ quarantine_select(source('shop', 'orders'), spec_shop__orders(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('shop', 'order_items'), spec_shop__order_items(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('shop', 'payments'), spec_shop__payments(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('shop', 'refunds'), spec_shop__refunds(), where=quarantine_lookback_filter('r._loaded_at')) }}
