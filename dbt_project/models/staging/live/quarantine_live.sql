{{ quarantine_incremental_config() }}
{{ quarantine_select(source('live', 'sessions'), spec_live__sessions(), where=incremental_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('live', 'attendance'), spec_live__attendance(), where=incremental_lookback_filter('r._loaded_at')) }}
