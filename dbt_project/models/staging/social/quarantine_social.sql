{{ quarantine_incremental_config() }}
{{ quarantine_select(source('social', 'tags'), spec_social__tags(), where=incremental_lookback_filter('r._loaded_at')) }}
