{{ quarantine_incremental_config() }}
{{ quarantine_select(source('dmp', 'segments'), spec_dmp__segments()) }}
