{{ quarantine_incremental_config() }}
{{ quarantine_select(source('community', 'groups'), spec_community__groups(), where=incremental_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('community', 'group_members'), spec_community__group_members(), where=incremental_lookback_filter('r._loaded_at')) }}
union all
{{ quarantine_select(source('community', 'group_messages_daily'), spec_community__group_messages_daily(), where=incremental_lookback_filter('r._loaded_at')) }}
