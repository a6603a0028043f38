{{ quarantine_incremental_config() }}
{{ quarantine_select(source('social', 'tags'), spec_social__tags(), where=quarantine_lookback_filter('r._loaded_at')) }}
