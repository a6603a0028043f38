{#- Live-stream invitations (brief 4, private domain): one row per identified customer and
    upcoming session whose category the customer prefers and whose time slot is the customer's.

    Upcoming: the session starts (local date) after the as-of date and at most
    live_invite_horizon_days (seed community_parameters) later. Its slot is its local start hour.
    Category preference: the customer's top_category_1..3 (customer_profiles) and the
    live_category of the themes of the groups they had joined by the as-of date (seed
    community_theme_rules). Time slot: the live_slot_hour of their groups' themes (the lowest
    slot_priority wins); else, from their own viewing, the start hour of the past sessions
    (started on or before the as-of date) they watched longest in total (ties: earlier hour);
    else none, and no invitation. Customers: group members and viewers by user_id, resolved
    through int_identifiers_resolved; anonymous viewers are not invited. -#}

with as_of as (
    select {{ segmentation_as_of_date() }} as as_of_date
),

horizon as (
    select {{ activation_parameter('community_parameters', 'live_invite_horizon_days') }} as days
),

sessions as (
    select
        s.session_id,
        s.title,
        s.category,
        s.start_at,
        {{ segmentation_local_date('s.start_at') }} as start_date,
        {{ cm_hour(cm_to_local_timestamp('s.start_at')) }} as slot_hour
    from {{ ref('stg_live__sessions') }} as s
),

upcoming as (
    select s.*
    from sessions as s
    cross join as_of as a
    cross join horizon as h
    where s.start_date > a.as_of_date
        and s.start_date <= {{ dbt.dateadd('day', 'h.days', 'a.as_of_date') }}
),

resolved as (
    select
        identifier_key,
        customer_id
    from {{ ref('int_identifiers_resolved') }}
    where id_type = 'user_id'
),

memberships as (
    select distinct
        r.customer_id,
        g.theme
    from {{ ref('stg_community__group_members') }} as gm
    inner join {{ ref('stg_community__groups') }} as g on g.group_id = gm.group_id
    inner join resolved as r on r.identifier_key = 'user_id:' || gm.user_id
    cross join as_of as a
    where {{ segmentation_local_date('gm.joined_at') }} <= a.as_of_date
),

group_slots as (
    select
        customer_id,
        live_slot_hour as slot_hour
    from (
        select
            m.customer_id,
            t.live_slot_hour,
            row_number() over (
                partition by m.customer_id order by t.slot_priority, t.live_slot_hour
            ) as slot_rank
        from memberships as m
        inner join {{ ref('community_theme_rules') }} as t on t.theme = m.theme
        where t.live_slot_hour is not null
    ) as ranked
    where slot_rank = 1
),

watch_slots as (
    select
        customer_id,
        slot_hour
    from (
        select
            r.customer_id,
            s.slot_hour,
            row_number() over (
                partition by r.customer_id order by sum(la.watch_seconds) desc, s.slot_hour
            ) as slot_rank
        from {{ ref('stg_live__attendance') }} as la
        inner join sessions as s on s.session_id = la.session_id
        inner join resolved as r on r.identifier_key = 'user_id:' || la.user_id
        cross join as_of as a
        where s.start_date <= a.as_of_date
        group by r.customer_id, s.slot_hour
    ) as ranked
    where slot_rank = 1
),

customer_slots as (
    select customer_id, slot_hour, 'group_theme' as slot_source from group_slots
    union all
    select w.customer_id, w.slot_hour, 'watch_history' as slot_source
    from watch_slots as w
    where not exists (
        select 1 from group_slots as g
        where g.customer_id = w.customer_id
    )
),

category_signals as (
    select customer_id, top_category_1 as category, 'profile' as category_source
    from {{ ref('customer_profiles') }}
    where top_category_1 is not null
    union all
    select customer_id, top_category_2, 'profile'
    from {{ ref('customer_profiles') }}
    where top_category_2 is not null
    union all
    select customer_id, top_category_3, 'profile'
    from {{ ref('customer_profiles') }}
    where top_category_3 is not null
    union all
    select m.customer_id, t.live_category, 'group_theme'
    from memberships as m
    inner join {{ ref('community_theme_rules') }} as t on t.theme = m.theme
    where t.live_category is not null
),

customer_categories as (
    select
        customer_id,
        category,
        case
            when min(category_source) = max(category_source) then min(category_source)
            else 'profile_and_group_theme'
        end as category_source
    from category_signals
    group by customer_id, category
)

select
    cast(cc.customer_id as {{ dbt.type_string() }}) as customer_id,
    cast(a.as_of_date as date) as as_of_date,
    cast(u.session_id as {{ dbt.type_string() }}) as session_id,
    cast(u.title as {{ dbt.type_string() }}) as session_title,
    cast(u.category as {{ dbt.type_string() }}) as session_category,
    cast(u.start_at as timestamp) as session_start_at,
    cast(u.start_date as date) as session_start_date,
    cast(u.slot_hour as integer) as slot_hour,
    cast(cc.category_source as {{ dbt.type_string() }}) as category_source,
    cast(cs.slot_source as {{ dbt.type_string() }}) as slot_source,
    cast('live:' || u.session_id as {{ dbt.type_string() }}) as offer_code
from upcoming as u
inner join customer_categories as cc on cc.category = u.category
inner join customer_slots as cs
    on cs.customer_id = cc.customer_id
    and cs.slot_hour = u.slot_hour
cross join as_of as a
