{{ quarantine_incremental_config() }}
{{ quarantine_select(source('membership', 'members'), spec_membership__members()) }}
union all
{{ quarantine_select(source('membership', 'points_ledger'), spec_membership__points_ledger()) }}
union all
{{ quarantine_select(source('membership', 'level_changes'), spec_membership__level_changes()) }}
