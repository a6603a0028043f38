{{ quarantine_incremental_config() }}
{{ quarantine_select(source('logistics', 'shipments'), spec_logistics__shipments(), where=quarantine_lookback_filter('r._loaded_at')) }}
