{{ quarantine_incremental_config() }}
{{ quarantine_select(source('experiments', 'assignments'), spec_experiments__assignments(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('experiments', 'outcomes'), spec_experiments__outcomes(), where=quarantine_lookback_filter('r._loaded_at')) }}
