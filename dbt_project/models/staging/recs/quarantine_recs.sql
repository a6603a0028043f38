{{ quarantine_incremental_config() }}
{{ quarantine_select(source('recs', 'impressions'), spec_recs__impressions(), where=quarantine_lookback_filter('r._loaded_at')) }}

union all

{{ quarantine_select(source('recs', 'clicks'), spec_recs__clicks(), where=quarantine_lookback_filter('r._loaded_at')) }}
