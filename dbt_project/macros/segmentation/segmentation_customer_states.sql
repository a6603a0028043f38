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
    day's state never changes when later refunds or registrations arrive. All thresholds come from seeds; comparisons are exact (integer / decimal
    cross-multiplication, no rounded ratios). -#}
{% macro segmentation_customer_states(eval_dates_sql, include_all_customers=true, customers_sql=none) -%}
with eval_dates as (
    {{ eval_dates_sql }}
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

dated_refunds as (
    select order_id, refund_completed_date, refunded_amount_cny, completed_refund_cny
    from {{ ref('int_order_refunds_completed') }}
),

flagged_orders as (
    -- Flag once per order (not per evaluation date) whether any refund exists for it.
    select
        po.customer_id,
        po.order_id,
        po.order_date,
        po.net_before_refunds_cny,
        po.order_id in (
            select dr.order_id from dated_refunds as dr where dr.order_id is not null
        ) as has_refunds
    from paid_orders as po
),

orders_as_of as (
    -- Point in time: each paid order dated on or before the eval date, with only the refunds
    -- completed (local date) on or before the eval date. Orders never refunded (most of them)
    -- need no aggregation: one row per (eval date, order) streams on without a group by.
    select
        ed.eval_date,
        fo.customer_id,
        fo.order_id,
        fo.order_date,
        fo.net_before_refunds_cny,
        cast(0 as decimal(38, 2)) as refunded_as_of_cny,
        cast(0 as decimal(38, 2)) as completed_refund_as_of_cny
    from eval_dates as ed
    inner join flagged_orders as fo
        on fo.order_date <= ed.eval_date
        and not fo.has_refunds

    union all

    select
        ed.eval_date,
        fo.customer_id,
        fo.order_id,
        fo.order_date,
        fo.net_before_refunds_cny,
        cast(coalesce(sum(dr.refunded_amount_cny), 0) as decimal(38, 2)) as refunded_as_of_cny,
        cast(coalesce(sum(dr.completed_refund_cny), 0) as decimal(38, 2)) as completed_refund_as_of_cny
    from eval_dates as ed
    inner join flagged_orders as fo
        on fo.order_date <= ed.eval_date
        and fo.has_refunds
    left join dated_refunds as dr
        on dr.order_id = fo.order_id
        and dr.refund_completed_date <= ed.eval_date
    group by ed.eval_date, fo.customer_id, fo.order_id, fo.order_date, fo.net_before_refunds_cny
),

purchases as (
    -- A counted purchase on eval_date (docs/segmentation_rules.md): paid and not fully refunded
    -- by the refunds completed on or before eval_date (fct_orders.is_fully_refunded's rule as of
    -- that date). Partial refunds count, at the net amount as of eval_date.
    select
        oa.eval_date,
        oa.customer_id,
        oa.order_id,
        oa.order_date,
        oa.net_before_refunds_cny - oa.refunded_as_of_cny as net_amount_cny
    from orders_as_of as oa
    where not (oa.completed_refund_as_of_cny > 0
        and oa.net_before_refunds_cny - oa.refunded_as_of_cny <= 0)
),

purchase_totals as (
    -- Everything the rules need from the counted purchases, in one pass per (customer, eval date).
    select
        pu.customer_id,
        pu.eval_date,
        count(pu.order_id) as lifetime_purchase_count,
        sum(pu.net_amount_cny) as lifetime_net_spend_cny,
        min(pu.order_date) as first_purchase_date,
        max(pu.order_date) as last_purchase_date,
        sum(case when {{ dbt.datediff('pu.order_date', 'pu.eval_date', 'day') }} < rp.frequency_window_days
            then 1 else 0 end) as frequency_window_purchase_count,
        sum(case when {{ dbt.datediff('pu.order_date', 'pu.eval_date', 'day') }} < mp.spend_window_days
            then pu.net_amount_cny else 0 end) as trailing_12m_net_spend_cny
    from purchases as pu
    cross join rfm_params as rp
    cross join membership_params as mp
    group by pu.customer_id, pu.eval_date
),

first_purchases as (
    select customer_id, eval_date, first_purchase_date
    from purchase_totals
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

registration_anchors as (
    -- Point in time: the registration date once the customer has registered (on or before the
    -- eval date), before that the first sighting (a later registration is not known yet).
    select
        ed.eval_date,
        cu.customer_id,
        cu.registered_date,
        coalesce(
            case when cu.registered_date <= ed.eval_date then cu.registered_date end,
            cu.first_seen_date,
            cu.registered_date
        ) as anchor_date
    from eval_dates as ed
    cross join customers as cu
),

anchored as (
    -- Tenure starts at registration (first sighting if not registered by the eval date), or at
    -- the first counted purchase (as of the eval date) when that is earlier (a shopper who bought
    -- before registering is not new).
    select
        ra.eval_date,
        ra.customer_id,
        ra.registered_date,
        case
            when ra.anchor_date is null then fp.first_purchase_date
            when fp.first_purchase_date is not null
                and fp.first_purchase_date < ra.anchor_date then fp.first_purchase_date
            else ra.anchor_date
        end as tenure_start_date
    from registration_anchors as ra
    left join first_purchases as fp
        on fp.customer_id = ra.customer_id
        and fp.eval_date = ra.eval_date
),

customer_dates as (
    select
        an.eval_date,
        an.customer_id,
        an.registered_date,
        an.tenure_start_date
    from anchored as an
    {%- if not include_all_customers %}
    where an.tenure_start_date <= an.eval_date
    {%- endif %}
),

base as (
    select
        cd.customer_id,
        cd.eval_date,
        cd.registered_date,
        cd.tenure_start_date,
        case
            when cd.tenure_start_date is null or cd.tenure_start_date > cd.eval_date then 0
            else {{ dbt.datediff('cd.tenure_start_date', 'cd.eval_date', 'day') }}
        end as tenure_days,
        coalesce(pm.lifetime_purchase_count, 0) as lifetime_purchase_count,
        cast(coalesce(pm.lifetime_net_spend_cny, 0) as decimal(18, 2)) as lifetime_net_spend_cny,
        pm.first_purchase_date,
        pm.last_purchase_date,
        coalesce(pm.frequency_window_purchase_count, 0) as frequency_window_purchase_count,
        cast(coalesce(pm.trailing_12m_net_spend_cny, 0) as decimal(18, 2)) as trailing_12m_net_spend_cny
    from customer_dates as cd
    left join purchase_totals as pm
        on cd.customer_id = pm.customer_id
        and cd.eval_date = pm.eval_date
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
        coalesce(sg.segment_code, 'no_purchase') as rfm_segment_code
    from sided as si
    left join {{ ref('rfm_segments') }} as sg
        on si.has_purchased
        and si.recency_side = sg.recency_side
        and si.frequency_side = sg.frequency_side
        and si.monetary_side = sg.monetary_side
),

stage_candidates as (
    -- Lifecycle: the matching stage with the lowest priority number wins.
    select
        se.customer_id,
        se.eval_date,
        ls.stage_code,
        row_number() over (partition by se.customer_id, se.eval_date order by ls.priority) as stage_rank
    from segmented as se
    inner join {{ ref('lifecycle_stages') }} as ls
        on (ls.min_tenure_days is null or se.tenure_days >= ls.min_tenure_days)
        and (ls.max_tenure_days is null or se.tenure_days < ls.max_tenure_days)
        and (ls.min_days_without_purchase is null or se.days_without_purchase >= ls.min_days_without_purchase)
        and (ls.purchase_condition = 'any'
            or (ls.purchase_condition = 'purchased' and se.has_purchased)
            or (ls.purchase_condition = 'never' and not se.has_purchased))
),

tier_candidates as (
    -- Membership: the highest tier whose minimum spend is reached.
    select
        se.customer_id,
        se.eval_date,
        mt.tier_code,
        mt.tier_rank,
        row_number() over (partition by se.customer_id, se.eval_date order by mt.tier_rank desc) as tier_pick
    from segmented as se
    inner join {{ ref('membership_tiers') }} as mt
        on se.trailing_12m_net_spend_cny >= mt.min_spend_cny
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
    st.stage_code as lifecycle_stage_code,
    se.trailing_12m_net_spend_cny,
    tc.tier_code as membership_tier_code,
    tc.tier_rank as membership_tier_rank
from segmented as se
left join stage_candidates as st
    on se.customer_id = st.customer_id
    and se.eval_date = st.eval_date
    and st.stage_rank = 1
left join tier_candidates as tc
    on se.customer_id = tc.customer_id
    and se.eval_date = tc.eval_date
    and tc.tier_pick = 1
{%- endmacro %}
