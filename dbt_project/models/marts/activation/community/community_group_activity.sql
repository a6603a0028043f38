{#- Community groups by activity (brief 4, private domain): one row per group existing on the
    as-of date. avg_messages_per_day = messages of the local days in the trailing window
    (activity_window_days, ending on the as-of date, not before the group's creation date) /
    those days; a day without a delivered count counts as 0 messages. Tier (seed
    community_parameters): active when avg >= active_min_messages_per_day, silent when
    avg <= silent_max_messages_per_day, else regular; the tactic comes from seed
    community_group_tactics. -#}

with as_of as (
    select {{ segmentation_as_of_date() }} as as_of_date
),

params as (
    select
        {{ activation_parameter('community_parameters', 'activity_window_days') }} as window_days,
        {{ activation_parameter('community_parameters', 'active_min_messages_per_day', 'decimal(18, 2)') }}
            as active_min,
        {{ activation_parameter('community_parameters', 'silent_max_messages_per_day', 'decimal(18, 2)') }}
            as silent_max
),

groups_in_window as (
    select
        g.group_id,
        g.group_name,
        g.theme,
        {{ segmentation_local_date('g.created_at') }} as created_date,
        a.as_of_date,
        {{ dbt.dateadd('day', '1 - p.window_days', 'a.as_of_date') }} as window_start_date
    from {{ ref('stg_community__groups') }} as g
    cross join as_of as a
    cross join params as p
    where {{ segmentation_local_date('g.created_at') }} <= a.as_of_date
),

observed as (
    select
        group_id,
        group_name,
        theme,
        created_date,
        as_of_date,
        case when created_date > window_start_date then created_date else window_start_date end
            as observed_from_date
    from groups_in_window
),

messages as (
    select
        o.group_id,
        sum(m.message_count) as message_count
    from observed as o
    inner join {{ ref('stg_community__group_messages_daily') }} as m
        on m.group_id = o.group_id
        and m.message_date >= o.observed_from_date
        and m.message_date <= o.as_of_date
    group by o.group_id
),

members as (
    select
        o.group_id,
        count(*) as member_count
    from observed as o
    inner join {{ ref('stg_community__group_members') }} as gm
        on gm.group_id = o.group_id
        and {{ segmentation_local_date('gm.joined_at') }} <= o.as_of_date
    group by o.group_id
),

averaged as (
    select
        o.*,
        {{ dbt.datediff('o.observed_from_date', 'o.as_of_date', 'day') }} + 1 as observed_days,  -- noqa: LT05
        coalesce(ms.message_count, 0) as window_message_count,
        coalesce(mb.member_count, 0) as member_count
    from observed as o
    left join messages as ms on ms.group_id = o.group_id
    left join members as mb on mb.group_id = o.group_id
),

tiered as (
    select
        a.*,
        cast(a.window_message_count as double) / a.observed_days as avg_messages_per_day,
        case
            when cast(a.window_message_count as double) / a.observed_days >= p.active_min then 'active'
            when cast(a.window_message_count as double) / a.observed_days <= p.silent_max then 'silent'
            else 'regular'
        end as activity_tier
    from averaged as a
    cross join params as p
)

select
    cast(t.group_id as {{ dbt.type_string() }}) as group_id,
    cast(t.as_of_date as date) as as_of_date,
    cast(t.group_name as {{ dbt.type_string() }}) as group_name,
    cast(t.theme as {{ dbt.type_string() }}) as theme,
    cast(t.created_date as date) as created_date,
    cast(t.member_count as integer) as member_count,
    cast(t.observed_from_date as date) as observed_from_date,
    cast(t.observed_days as integer) as observed_days,
    cast(t.window_message_count as bigint) as window_message_count,
    cast(round(t.avg_messages_per_day, 2) as decimal(18, 2)) as avg_messages_per_day,
    cast(t.activity_tier as {{ dbt.type_string() }}) as activity_tier,
    cast(c.tactic_code as {{ dbt.type_string() }}) as tactic_code,
    cast(c.tactic_en as {{ dbt.type_string() }}) as tactic_en,
    cast(c.tactic_zh as {{ dbt.type_string() }}) as tactic_zh
from tiered as t
left join {{ ref('community_group_tactics') }} as c
    on c.activity_tier = t.activity_tier
