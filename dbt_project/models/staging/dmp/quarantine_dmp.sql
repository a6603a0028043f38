{{ quarantine_incremental_config() }}
{{ quarantine_select(source('dmp', 'segments'), spec_dmp__segments(), where=quarantine_lookback_filter('r._loaded_at')) }}
