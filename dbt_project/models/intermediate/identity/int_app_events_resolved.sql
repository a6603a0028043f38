{#- App events attributed to a customer: the resolved user_id when logged in, else the resolved
    device_id, else the resolved openid. Events carrying only excluded identifiers (a shared
    in-store tablet used anonymously) have no customer and are left out.
    One row per event_id. -#}

with resolved as (

    select identifier_key, customer_id from {{ ref('int_identifiers_resolved') }}

)

select
    e.event_id,
    coalesce(ru.customer_id, rd.customer_id, ro.customer_id) as customer_id,
    e.event_type,
    e.event_at,
    e.session_id,
    e.platform,
    e.channel,
    e.sku,
    e.category,
    e.quantity,
    e.order_id
from {{ ref('stg_app__events') }} as e
left join resolved as ru on ru.identifier_key = 'user_id:' || e.user_id
left join resolved as rd on rd.identifier_key = 'device_id:' || e.device_id
left join resolved as ro on ro.identifier_key = 'openid:' || e.openid
where coalesce(ru.customer_id, rd.customer_id, ro.customer_id) is not null
