{{ quarantine_incremental_config() }}
{{ quarantine_select(source('social', 'tags'), spec_social__tags()) }}
