{{ quarantine_incremental_config() }}
{{ quarantine_select(source('community', 'groups'), spec_community__groups(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('community', 'group_members'), spec_community__group_members(), where=quarantine_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('community', 'group_messages_daily'), spec_community__group_messages_daily(), where=quarantine_lookback_filter('r._loaded_at')) }}
