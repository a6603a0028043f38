{{ quarantine_incremental_config() }}
{{ quarantine_select(source('recs', 'impressions'), spec_recs__impressions()) }}

union all

{{ quarantine_select(source('recs', 'clicks'), spec_recs__clicks()) }}
