{{ quarantine_incremental_config() }}
{{ quarantine_select(source('live', 'sessions'), spec_live__sessions(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('live', 'attendance'), spec_live__attendance(), where=quarantine_lookback_filter('r._loaded_at')) }}
