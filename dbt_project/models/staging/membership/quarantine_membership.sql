{{ quarantine_incremental_config() }}
{{ quarantine_select(source('membership', 'members'), spec_membership__members(), where=incremental_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('membership', 'points_ledger'), spec_membership__points_ledger(), where=incremental_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('membership', 'level_changes'), spec_membership__level_changes(), where=incremental_lookback_filter('r._loaded_at')) }}
