{#- The single implementation of every segmentation rule (see docs/segmentation_rules.md).

    eval_dates_sql: a query returning one column eval_date (DATE): the dates to evaluate.
    include_all_customers:
      true  -> every dim_customers row for every eval_date (as-of marts); a customer whose tenure
               starts after the eval date gets tenure_days 0;
      false -> a customer appears from its tenure start date on (daily history).
    customers_sql (optional): a query returning one column customer_id: only those customers are
      evaluated (customer_state_daily's backfill of customers new to the table); none = all.
    Returns one row per (customer_id, eval_date). Everything is point-in-time: only orders dated
    on or before the eval date, judged with only the refunds completed (local date) on or before
    the eval date (int_order_refunds_completed), and a registration only from its date on, so a
    day's state never changes when later refunds or registrations arrive. All thresholds come
    from seeds; comparisons are exact (integer / decimal cross-multiplication, no rounded ratios).

    How (work proportional to orders + customers x dates, never orders x dates): each order has a
    version on its order date and on each later refund date; the changes between versions are
    summed per customer as running totals (a windowed total takes a change back when its order
    leaves the window), giving intervals over which a customer's purchase totals hold. Each
    (customer, eval date) picks its interval with one join; lifecycle stage and tier are looked
    up, not decided per row. -#}
{% macro segmentation_customer_states(eval_dates_sql, include_all_customers=true, customers_sql=none) -%}
with eval_dates as (
    {{ eval_dates_sql }}
),

eval_bounds as (
    select min(eval_date) as first_eval_date, max(eval_date) as last_eval_date from eval_dates
),
{%- if customers_sql %}

selected_customers as (
    select distinct sel.customer_id from ({{ customers_sql }}) as sel
),
{%- endif %}

thresholds as (
    select
        max(case when dimension = 'recency' and band = 'active' then comparison end) as recency_active_op,
        max(case when dimension = 'recency' and band = 'active' then cut_value end) as recency_active_cut,
        max(case when dimension = 'recency' and band = 'dormant' then comparison end) as recency_dormant_op,
        max(case when dimension = 'recency' and band = 'dormant' then cut_value end) as recency_dormant_cut,
        max(case when dimension = 'frequency' and band = 'high' then comparison end) as frequency_high_op,
        max(case when dimension = 'frequency' and band = 'high' then cut_value end) as frequency_high_cut,
        max(case when dimension = 'frequency' and band = 'low' then comparison end) as frequency_low_op,
        max(case when dimension = 'frequency' and band = 'low' then cut_value end) as frequency_low_cut,
        max(case when dimension = 'monetary' and band = 'high' then comparison end) as monetary_high_op,
        max(case when dimension = 'monetary' and band = 'high' then cut_value end) as monetary_high_cut,
        max(case when dimension = 'monetary' and band = 'low' then comparison end) as monetary_low_op,
        max(case when dimension = 'monetary' and band = 'low' then cut_value end) as monetary_low_cut
    from {{ ref('rfm_thresholds') }}
),

fold_rules as (
    select
        max(case when dimension = 'recency' then middle_band_folds_to end) as recency_middle_to,
        max(case when dimension = 'frequency' then middle_band_folds_to end) as frequency_middle_to,
        max(case when dimension = 'monetary' then middle_band_folds_to end) as monetary_middle_to
    from {{ ref('rfm_segment_rules') }}
),

rfm_params as (
    select
        cast(max(case when parameter = 'frequency_window_days' then value end) as integer) as frequency_window_days,
        cast(max(case when parameter = 'frequency_window_months' then value end) as integer) as frequency_window_months,
        cast(max(case when parameter = 'frequency_min_months' then value end) as integer) as frequency_min_months
    from {{ ref('rfm_parameters') }}
),

membership_params as (
    select cast(max(case when parameter = 'spend_window_days' then value end) as integer) as spend_window_days
    from {{ ref('membership_parameters') }}
),

paid_orders as (
    -- Candidate purchases: attributed to a customer and status = 'paid'. Refunds are judged per
    -- eval_date below; net before refunds = paid goods value (shipping excluded).
    select
        fo.customer_id,
        fo.order_id,
        fo.order_date,
        coalesce(fo.net_amount_cny, 0) + coalesce(fo.refunded_amount_cny, 0) as net_before_refunds_cny
    from {{ ref('fct_orders') }} as fo
    where fo.customer_id is not null
        and fo.status = 'paid'
        {%- if customers_sql %}
        and fo.customer_id in (select sc.customer_id from selected_customers as sc)
        {%- endif %}
),

refund_days as (
    -- Refunds per order and completion date (local); a refund without one never counts.
    select
        rc.order_id,
        rc.refund_completed_date as refund_date,
        sum(rc.refunded_amount_cny) as refunded_cny,
        sum(rc.completed_refund_cny) as completed_refund_cny
    from {{ ref('int_order_refunds_completed') }} as rc
    where rc.order_id is not null
        and rc.refund_completed_date is not null
    group by rc.order_id, rc.refund_completed_date
),

refunded_version_dates as (
    -- An order changes only on its order date and on the later dates its refunds complete.
    select po.customer_id, po.order_id, po.order_date, po.net_before_refunds_cny, po.order_date as version_date
    from paid_orders as po
    where po.order_id in (select rd.order_id from refund_days as rd)
    union
    select po.customer_id, po.order_id, po.order_date, po.net_before_refunds_cny, rd.refund_date as version_date
    from paid_orders as po
    inner join refund_days as rd
        on rd.order_id = po.order_id
        and rd.refund_date > po.order_date
),

order_versions as (
    -- Point in time: one row per (order, version date) with the refunds completed on or before
    -- that date; the order holds this version until its next one. Never-refunded orders (most)
    -- have one version and need no aggregation.
    select
        po.customer_id,
        po.order_id,
        po.order_date,
        po.net_before_refunds_cny,
        po.order_date as version_date,
        cast(0 as decimal(38, 2)) as refunded_as_of_cny,
        cast(0 as decimal(38, 2)) as completed_refund_as_of_cny
    from paid_orders as po
    where po.order_id not in (select rd.order_id from refund_days as rd)

    union all

    select
        vd.customer_id,
        vd.order_id,
        vd.order_date,
        vd.net_before_refunds_cny,
        vd.version_date,
        cast(coalesce(sum(rd.refunded_cny), 0) as decimal(38, 2)) as refunded_as_of_cny,
        cast(coalesce(sum(rd.completed_refund_cny), 0) as decimal(38, 2)) as completed_refund_as_of_cny
    from refunded_version_dates as vd
    left join refund_days as rd
        on rd.order_id = vd.order_id
        and rd.refund_date <= vd.version_date
    group by vd.customer_id, vd.order_id, vd.order_date, vd.net_before_refunds_cny, vd.version_date
),

counted_versions as (
    -- A counted purchase (docs/segmentation_rules.md): paid and not fully refunded by the refunds
    -- completed so far (fct_orders.is_fully_refunded's rule as of that date). Partial refunds
    -- count, at the net amount as of that date.
    select
        ov.customer_id,
        ov.order_id,
        ov.order_date,
        ov.version_date,
        case when ov.completed_refund_as_of_cny > 0
            and ov.net_before_refunds_cny - ov.refunded_as_of_cny <= 0 then 0 else 1 end as is_counted,
        case when ov.completed_refund_as_of_cny > 0
            and ov.net_before_refunds_cny - ov.refunded_as_of_cny <= 0 then cast(0 as decimal(38, 2))
            else ov.net_before_refunds_cny - ov.refunded_as_of_cny end as counted_net_cny
    from order_versions as ov
),

version_changes as (
    -- What each version changes in its customer's totals (versus the order's previous version).
    select
        cv.customer_id,
        cv.order_id,
        cv.order_date,
        cv.version_date,
        cv.is_counted,
        cv.is_counted - coalesce(lag(cv.is_counted) over (
            partition by cv.order_id order by cv.version_date), 0) as count_change,
        cv.counted_net_cny - coalesce(lag(cv.counted_net_cny) over (
            partition by cv.order_id order by cv.version_date), 0) as spend_change,
        coalesce(lead(cv.version_date) over (partition by cv.order_id order by cv.version_date),
            {{ segmentation_open_end() }}) as next_version_date,
        min(cv.is_counted) over (partition by cv.order_id) as is_always_counted
    from counted_versions as cv
),

purchase_events as (
    -- Running totals per customer: a version adds its change on its date; the windowed totals
    -- take it back once the order leaves the window (order_date + window days; the change's own
    -- date if later). Orders that always count give their order date to the running first/last
    -- purchase date; the others are looked up per interval below.
    select
        vc.customer_id,
        vc.version_date as event_date,
        vc.count_change,
        vc.spend_change,
        vc.count_change as frequency_window_change,
        vc.spend_change as spend_window_change,
        case when vc.is_always_counted = 1 and vc.version_date = vc.order_date then vc.order_date end as settled_order_date
    from version_changes as vc

    union all

    select
        vc.customer_id,
        cast(case when vc.version_date > {{ dbt.dateadd('day', 'rp.frequency_window_days', 'vc.order_date') }}
            then vc.version_date
            else {{ dbt.dateadd('day', 'rp.frequency_window_days', 'vc.order_date') }} end as date) as event_date,
        0 as count_change,
        cast(0 as decimal(38, 2)) as spend_change,
        -vc.count_change as frequency_window_change,
        cast(0 as decimal(38, 2)) as spend_window_change,
        cast(null as date) as settled_order_date
    from version_changes as vc
    cross join rfm_params as rp
    where vc.count_change <> 0

    union all

    select
        vc.customer_id,
        cast(case when vc.version_date > {{ dbt.dateadd('day', 'mp.spend_window_days', 'vc.order_date') }}
            then vc.version_date
            else {{ dbt.dateadd('day', 'mp.spend_window_days', 'vc.order_date') }} end as date) as event_date,
        0 as count_change,
        cast(0 as decimal(38, 2)) as spend_change,
        0 as frequency_window_change,
        -vc.spend_change as spend_window_change,
        cast(null as date) as settled_order_date
    from version_changes as vc
    cross join membership_params as mp
    where vc.spend_change <> 0
),

daily_changes as (
    select
        pe.customer_id,
        pe.event_date,
        sum(pe.count_change) as count_change,
        sum(pe.spend_change) as spend_change,
        sum(pe.frequency_window_change) as frequency_window_change,
        sum(pe.spend_window_change) as spend_window_change,
        min(pe.settled_order_date) as first_settled_order_date,
        max(pe.settled_order_date) as last_settled_order_date
    from purchase_events as pe
    where pe.event_date <= (select eb.last_eval_date from eval_bounds as eb)
    group by pe.customer_id, pe.event_date
),

purchase_timeline as (
    -- The customer's purchase totals hold from each change date until the next one.
    select
        dc.customer_id,
        dc.event_date as valid_from,
        coalesce(lead(dc.event_date) over (partition by dc.customer_id order by dc.event_date),
            {{ segmentation_open_end() }}) as valid_until,
        sum(dc.count_change) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as lifetime_purchase_count,
        sum(dc.spend_change) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as lifetime_net_spend_cny,
        sum(dc.frequency_window_change) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as frequency_window_purchase_count,
        sum(dc.spend_window_change) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as trailing_12m_net_spend_cny,
        min(dc.first_settled_order_date) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as first_settled_order_date,
        max(dc.last_settled_order_date) over (partition by dc.customer_id order by dc.event_date
            rows between unbounded preceding and current row) as last_settled_order_date
    from daily_changes as dc
),

evaluated_timeline as (
    -- only the intervals that reach the first eval date
    select pt.*
    from purchase_timeline as pt
    where pt.valid_until > (select eb.first_eval_date from eval_bounds as eb)
),

unsettled_purchase_dates as (
    -- Orders that stop counting at some version (fully refunded later): per interval, the order
    -- dates of those still counted in it.
    select
        et.customer_id,
        et.valid_from,
        min(vc.order_date) as first_order_date,
        max(vc.order_date) as last_order_date
    from evaluated_timeline as et
    inner join version_changes as vc
        on vc.customer_id = et.customer_id
        and vc.is_always_counted = 0
        and vc.is_counted = 1
        and vc.version_date <= et.valid_from
        and et.valid_from < vc.next_version_date
    group by et.customer_id, et.valid_from
),

purchase_intervals as (
    select
        et.customer_id,
        et.valid_from,
        et.valid_until,
        et.lifetime_purchase_count,
        et.lifetime_net_spend_cny,
        et.frequency_window_purchase_count,
        et.trailing_12m_net_spend_cny,
        case
            when up.first_order_date is null then et.first_settled_order_date
            when et.first_settled_order_date is null or up.first_order_date < et.first_settled_order_date
                then up.first_order_date
            else et.first_settled_order_date
        end as first_purchase_date,
        case
            when up.last_order_date is null then et.last_settled_order_date
            when et.last_settled_order_date is null or up.last_order_date > et.last_settled_order_date
                then up.last_order_date
            else et.last_settled_order_date
        end as last_purchase_date
    from evaluated_timeline as et
    left join unsettled_purchase_dates as up
        on up.customer_id = et.customer_id
        and up.valid_from = et.valid_from
),

spend_tiers as (
    -- Membership: the highest tier whose minimum spend is reached, for every trailing spend that
    -- occurs (and 0: no purchase in the window).
    select
        sl.trailing_12m_net_spend_cny,
        mt.tier_code,
        mt.tier_rank,
        row_number() over (partition by sl.trailing_12m_net_spend_cny order by mt.tier_rank desc) as tier_pick
    from (
        select pi.trailing_12m_net_spend_cny from purchase_intervals as pi
        union
        select cast(0 as decimal(38, 2)) as trailing_12m_net_spend_cny
    ) as sl
    inner join {{ ref('membership_tiers') }} as mt
        on sl.trailing_12m_net_spend_cny >= mt.min_spend_cny
),

tiered_intervals as (
    select
        pi.*,
        st.tier_code,
        st.tier_rank
    from purchase_intervals as pi
    left join spend_tiers as st
        on st.trailing_12m_net_spend_cny = pi.trailing_12m_net_spend_cny
        and st.tier_pick = 1
),

customers as (
    select
        dc.customer_id,
        {{ segmentation_local_date('dc.registered_at') }} as registered_date,
        {{ segmentation_local_date('dc.first_seen_at') }} as first_seen_date
    from {{ ref('dim_customers') }} as dc
    {%- if customers_sql %}
    where dc.customer_id in (select sc.customer_id from selected_customers as sc)
    {%- endif %}
),

customer_days as (
    -- Every customer on every eval date with the purchase interval that holds that day (none:
    -- no counted purchase yet). Registration counts only from its date on; before it the anchor
    -- is the first sighting (a later registration is not known yet).
    select
        ed.eval_date,
        cu.customer_id,
        cu.registered_date,
        coalesce(
            case when cu.registered_date <= ed.eval_date then cu.registered_date end,
            cu.first_seen_date,
            cu.registered_date
        ) as anchor_date,
        ti.customer_id is not null as has_interval,
        ti.lifetime_purchase_count,
        ti.lifetime_net_spend_cny,
        ti.first_purchase_date,
        ti.last_purchase_date,
        ti.frequency_window_purchase_count,
        ti.trailing_12m_net_spend_cny,
        ti.tier_code,
        ti.tier_rank
    from eval_dates as ed
    cross join customers as cu
    left join tiered_intervals as ti
        on ti.customer_id = cu.customer_id
        and ti.valid_from <= ed.eval_date
        and ed.eval_date < ti.valid_until
),

anchored as (
    -- Tenure starts at registration (first sighting if not registered by the eval date), or at
    -- the first counted purchase (as of the eval date) when that is earlier (a shopper who bought
    -- before registering is not new).
    select
        cd.*,
        case
            when cd.anchor_date is null then cd.first_purchase_date
            when cd.first_purchase_date is not null
                and cd.first_purchase_date < cd.anchor_date then cd.first_purchase_date
            else cd.anchor_date
        end as tenure_start_date
    from customer_days as cd
),

base as (
    select
        an.customer_id,
        an.eval_date,
        an.registered_date,
        an.tenure_start_date,
        case
            when an.tenure_start_date is null or an.tenure_start_date > an.eval_date then 0
            else {{ dbt.datediff('an.tenure_start_date', 'an.eval_date', 'day') }}
        end as tenure_days,
        coalesce(an.lifetime_purchase_count, 0) as lifetime_purchase_count,
        cast(coalesce(an.lifetime_net_spend_cny, 0) as decimal(18, 2)) as lifetime_net_spend_cny,
        an.first_purchase_date,
        an.last_purchase_date,
        coalesce(an.frequency_window_purchase_count, 0) as frequency_window_purchase_count,
        cast(coalesce(an.trailing_12m_net_spend_cny, 0) as decimal(18, 2)) as trailing_12m_net_spend_cny,
        case when an.has_interval then an.tier_code
            else (select st.tier_code from spend_tiers as st
                  where st.trailing_12m_net_spend_cny = 0 and st.tier_pick = 1) end as membership_tier_code,
        case when an.has_interval then an.tier_rank
            else (select st.tier_rank from spend_tiers as st
                  where st.trailing_12m_net_spend_cny = 0 and st.tier_pick = 1) end as membership_tier_rank
    from anchored as an
    {%- if not include_all_customers %}
    where an.tenure_start_date <= an.eval_date
    {%- endif %}
),

measured as (
    select
        ba.*,
        ba.lifetime_purchase_count > 0 as has_purchased,
        case when ba.last_purchase_date is not null
            then {{ dbt.datediff('ba.last_purchase_date', 'ba.eval_date', 'day') }} end as recency_days,
        -- days observed inside the frequency window (tenure day 0 counts as one day)
        case when ba.tenure_days + 1 < rp.frequency_window_days then ba.tenure_days + 1
            else rp.frequency_window_days end as frequency_observed_days,
        rp.frequency_window_days,
        rp.frequency_window_months,
        rp.frequency_min_months
    from base as ba
    cross join rfm_params as rp
),

scaled as (
    -- months observed * window days, an exact integer: max(min_months * W, observed_days * M)
    select
        me.*,
        case when me.frequency_observed_days * me.frequency_window_months > me.frequency_min_months * me.frequency_window_days
            then me.frequency_observed_days * me.frequency_window_months
            else me.frequency_min_months * me.frequency_window_days
        end as frequency_months_x_window_days
    from measured as me
),

banded as (
    select
        sc.*,
        case
            when not sc.has_purchased then 'no_purchase'
            when {{ segmentation_compare('sc.recency_days', 'th.recency_active_op', 'th.recency_active_cut') }} then 'active'
            when {{ segmentation_compare('sc.recency_days', 'th.recency_dormant_op', 'th.recency_dormant_cut') }} then 'dormant'
            else 'middle'
        end as recency_band,
        case
            when not sc.has_purchased then 'no_purchase'
            when {{ segmentation_compare('sc.frequency_window_purchase_count * sc.frequency_window_days', 'th.frequency_high_op',
                                         'th.frequency_high_cut * sc.frequency_months_x_window_days') }} then 'high'
            when {{ segmentation_compare('sc.frequency_window_purchase_count * sc.frequency_window_days', 'th.frequency_low_op',
                                         'th.frequency_low_cut * sc.frequency_months_x_window_days') }} then 'low'
            else 'middle'
        end as frequency_band,
        case
            when not sc.has_purchased then 'no_purchase'
            when {{ segmentation_compare('sc.lifetime_net_spend_cny', 'th.monetary_high_op',
                                         'th.monetary_high_cut * sc.lifetime_purchase_count') }} then 'high'
            when {{ segmentation_compare('sc.lifetime_net_spend_cny', 'th.monetary_low_op',
                                         'th.monetary_low_cut * sc.lifetime_purchase_count') }} then 'low'
            else 'middle'
        end as monetary_band
    from scaled as sc
    cross join thresholds as th
),

sided as (
    select
        bd.*,
        case when bd.recency_band = 'middle' then fr.recency_middle_to else bd.recency_band end as recency_side,
        case when bd.frequency_band = 'middle' then fr.frequency_middle_to else bd.frequency_band end as frequency_side,
        case when bd.monetary_band = 'middle' then fr.monetary_middle_to else bd.monetary_band end as monetary_side,
        case when bd.has_purchased then bd.recency_days else bd.tenure_days end as days_without_purchase
    from banded as bd
    cross join fold_rules as fr
),

segmented as (
    select
        si.*,
        case when si.has_purchased then coalesce(sg.segment_code, 'no_purchase') else 'no_purchase' end as rfm_segment_code
    from sided as si
    left join {{ ref('rfm_segments') }} as sg
        on si.recency_side = sg.recency_side
        and si.frequency_side = sg.frequency_side
        and si.monetary_side = sg.monetary_side
),

stage_key_caps as (
    -- Every lifecycle rule compares tenure_days and days_without_purchase with thresholds below
    -- these caps, so a larger value is classified like the cap.
    select
        coalesce(max(greatest(coalesce(ls.min_tenure_days, 0), coalesce(ls.max_tenure_days, 0))), 0) + 1 as tenure_cap,
        coalesce(max(ls.min_days_without_purchase), 0) + 1 as idle_cap
    from {{ ref('lifecycle_stages') }} as ls
),

tenure_keys as (
    select ints.n as tenure_key
    from ({{ segmentation_integer_spine(5) }}) as ints
    cross join stage_key_caps as kc
    where ints.n <= kc.tenure_cap
),

idle_keys as (
    select ints.n as idle_key
    from ({{ segmentation_integer_spine(5) }}) as ints
    cross join stage_key_caps as kc
    where ints.n <= kc.idle_cap
),

stage_lookup as (
    -- Lifecycle: the matching stage with the lowest priority number wins, decided once per
    -- (tenure_days, days_without_purchase, has_purchased) up to the caps, not per customer-day.
    select
        tk.tenure_key,
        ik.idle_key,
        hp.has_purchased,
        ls.stage_code,
        row_number() over (
            partition by tk.tenure_key, ik.idle_key, hp.has_purchased order by ls.priority) as stage_rank
    from tenure_keys as tk
    cross join idle_keys as ik
    cross join (select true as has_purchased union all select false as has_purchased) as hp
    inner join {{ ref('lifecycle_stages') }} as ls
        on (ls.min_tenure_days is null or tk.tenure_key >= ls.min_tenure_days)
        and (ls.max_tenure_days is null or tk.tenure_key < ls.max_tenure_days)
        and (ls.min_days_without_purchase is null or ik.idle_key >= ls.min_days_without_purchase)
        and (ls.purchase_condition = 'any'
            or (ls.purchase_condition = 'purchased' and hp.has_purchased)
            or (ls.purchase_condition = 'never' and not hp.has_purchased))
)

select
    se.customer_id,
    se.eval_date,
    se.registered_date,
    se.tenure_start_date,
    se.tenure_days,
    se.has_purchased,
    se.lifetime_purchase_count,
    se.lifetime_net_spend_cny,
    se.first_purchase_date,
    se.last_purchase_date,
    se.recency_days,
    se.days_without_purchase,
    se.frequency_window_purchase_count,
    se.frequency_observed_days,
    se.frequency_months_x_window_days,
    se.frequency_window_days,
    se.recency_band,
    se.frequency_band,
    se.monetary_band,
    se.recency_side,
    se.frequency_side,
    se.monetary_side,
    se.rfm_segment_code,
    sl.stage_code as lifecycle_stage_code,
    se.trailing_12m_net_spend_cny,
    se.membership_tier_code,
    se.membership_tier_rank
from segmented as se
cross join stage_key_caps as kc
left join stage_lookup as sl
    on sl.tenure_key = case when se.tenure_days < kc.tenure_cap then se.tenure_days else kc.tenure_cap end
    and sl.idle_key = case when se.days_without_purchase < kc.idle_cap then se.days_without_purchase else kc.idle_cap end
    and sl.has_purchased = se.has_purchased
    and sl.stage_rank = 1
{%- endmacro %}
