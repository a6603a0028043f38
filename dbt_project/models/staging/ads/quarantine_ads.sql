{{ quarantine_incremental_config() }}
{{ quarantine_select(source('ads', 'spend_daily'), spec_ads__spend_daily()) }}
