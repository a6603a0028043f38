{#- Each combination of identifiers (user_id, device_id, openid) carried by staged app events,
    once, with how many events carried it and when. The identity models read app events through
    it (at scale m 4.7 M events hold 122,598 combinations); int_identity_observations and
    int_identity_links each unpivoted or paired every event before grouping. -#}

select
    user_id,
    device_id,
    openid,
    min(event_at) as first_event_at,
    max(event_at) as last_event_at,
    min(_loaded_at) as first_loaded_at,
    count(*) as event_count
from {{ ref('stg_app__events') }}
where user_id is not null or device_id is not null or openid is not null
group by user_id, device_id, openid
