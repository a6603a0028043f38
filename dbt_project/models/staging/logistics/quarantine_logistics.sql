{{ quarantine_incremental_config() }}
{{ quarantine_select(source('logistics', 'shipments'), spec_logistics__shipments()) }}
