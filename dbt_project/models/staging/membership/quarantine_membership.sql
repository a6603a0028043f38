{{ quarantine_incremental_config() }}
{{ quarantine_select(source('membership', 'members'), spec_membership__members(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('membership', 'points_ledger'), spec_membership__points_ledger(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('membership', 'level_changes'), spec_membership__level_changes(), where=quarantine_lookback_filter('r._loaded_at')) }}
