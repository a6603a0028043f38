{{ quarantine_incremental_config() }}
{{ quarantine_select(source('community', 'groups'), spec_community__groups()) }}
union all
{{ quarantine_select(source('community', 'group_members'), spec_community__group_members()) }}
union all
{{ quarantine_select(source('community', 'group_messages_daily'), spec_community__group_messages_daily()) }}
