{{ quarantine_incremental_config() }}
{{ quarantine_select(source('live', 'sessions'), spec_live__sessions()) }}
union all
{{ quarantine_select(source('live', 'attendance'), spec_live__attendance()) }}
