{{ quarantine_incremental_config() }}
{#- Rows of raw.app_* that failed validation: entity, lineage, record key and the first failed
    check. No personal data (phones appear only as their hash inside record keys). -#}
{{ quarantine_select(source('app', 'events'), spec_app__events()) }}
