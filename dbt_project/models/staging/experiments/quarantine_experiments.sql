{{ quarantine_incremental_config() }}
{{ quarantine_select(source('experiments', 'assignments'), spec_experiments__assignments()) }}
union all
{{ quarantine_select(source('experiments', 'outcomes'), spec_experiments__outcomes()) }}
