{#- Daily marketing KPIs in long format: one row per local date x KPI x dimension x value.
    value = numerator / denominator (x 100 for nps), or numerator for sums; volume = how many
    events the value rests on (clicks, orders, sessions, respondents, new customers), which
    kpi_anomalies uses as a noise floor. Definitions: docs/activation/measurement.md. -#}

{%- set window_days = measurement_parameter('rec_attribution_window_days') %}
{%- set margin_rate = measurement_parameter('first_order_margin_rate', 'double') %}

with resolved as (

    select identifier_key, customer_id from {{ ref('int_identifiers_resolved') }}

),

-- Paid orders, with the buyer's RFM segment of the day before the order (the segment the
-- purchase came from; NULL for anonymous receipts and on a customer's first day).
orders as (

    select
        o.order_id,
        o.customer_id,
        o.sales_channel,
        o.device_platform,
        o.order_channel,
        o.ordered_at,
        o.order_date,
        s.rfm_segment,
        cast(o.paid_amount_cny as double) as paid_cny,
        cast(o.net_amount_cny as double) as net_cny
    from {{ ref('fct_orders') }} as o
    left join {{ ref('customer_state_daily') }} as s
        on s.customer_id = o.customer_id
        and s.state_date = cast({{ dbt.dateadd('day', -1, 'o.order_date') }} as date)
    where o.status = 'paid'

),

-- Buyers per day and dimension, and whether they had a counted order before that day.
buyer_days as (

    select distinct o.order_date, o.customer_id, o.sales_channel, o.device_platform, o.rfm_segment
    from orders as o
    where o.customer_id is not null

),

first_orders as (

    select customer_id, min(order_date) as first_date
    from orders
    where customer_id is not null
    group by customer_id

),

buyers as (

    select
        b.order_date,
        b.customer_id,
        b.sales_channel,
        b.device_platform,
        b.rfm_segment,
        case when f.first_date < b.order_date then 1 else 0 end as is_repeat
    from buyer_days as b
    inner join first_orders as f on f.customer_id = b.customer_id

),

clicks as (

    select
        r.customer_id,
        c.sku,
        c.clicked_at
    from {{ ref('stg_recs__clicks') }} as c
    inner join resolved as r on r.identifier_key = 'user_id:' || c.user_id

),

-- Online orders holding an item its customer clicked in a recommendation slot within the window.
rec_orders as (

    select distinct o.order_id
    from orders as o
    inner join {{ ref('fct_order_lines') }} as l on l.order_id = o.order_id
    inner join clicks as c
        on c.customer_id = o.customer_id
        and c.sku = l.sku
        and c.clicked_at <= o.ordered_at
        and {{ dbt.datediff('c.clicked_at', 'o.ordered_at', 'second') }} <= {{ window_days }} * 86400  -- noqa: LT05
    where o.order_channel = 'online'

),

order_kpis as (

    {%- for dim, col in [
        ('overall', "'all'"),
        ('channel', 'o.sales_channel'),
        ('platform', 'o.device_platform'),
        ('segment', 'o.rfm_segment'),
    ] %}
    {%- for kpi, num, den, vol in [
        ('gmv_cny', 'sum(o.paid_cny)', 'null', 'count(*)'),
        ('orders', 'count(*)', 'null', 'count(*)'),
        ('aov_cny', 'sum(o.paid_cny)', 'count(*)', 'count(*)'),
    ] %}
    select
        o.order_date as kpi_date,
        '{{ kpi }}' as kpi,
        '{{ dim }}' as dimension,
        {{ col }} as dimension_value,
        cast({{ num }} as double) as numerator,
        cast({{ den }} as double) as denominator,
        cast({{ vol }} as bigint) as volume
    from orders as o
    {%- if dim in ('platform', 'segment') %}
    where {{ col }} is not null
    {%- endif %}
    group by o.order_date{% if dim != 'overall' %}, {{ col }}{% endif %}
    union all
    {%- endfor %}
    -- A buyer counts once per day and dimension value, however many orders they placed.
    select
        b.order_date as kpi_date,
        'repurchase_rate' as kpi,
        '{{ dim }}' as dimension,
        b.dimension_value,
        cast(sum(b.is_repeat) as double) as numerator,
        cast(count(*) as double) as denominator,
        cast(count(*) as bigint) as volume
    from (
        select distinct
            b.order_date,
            b.customer_id,
            {{ col | replace('o.', 'b.') }} as dimension_value,
            b.is_repeat
        from buyers as b
        {%- if dim in ('platform', 'segment') %}
        where {{ col | replace('o.', 'b.') }} is not null
        {%- endif %}
    ) as b
    group by b.order_date, b.dimension_value
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

rec_share as (

    select
        o.order_date as kpi_date,
        'rec_gmv_share' as kpi,
        'overall' as dimension,
        'all' as dimension_value,
        cast(sum(case when r.order_id is not null then o.paid_cny else 0 end) as double) as numerator,
        cast(sum(o.paid_cny) as double) as denominator,
        cast(count(r.order_id) as bigint) as volume
    from orders as o
    left join rec_orders as r on r.order_id = o.order_id
    group by o.order_date

),

impressions as (

    select impression_date, sku, slot, platform, impressions, clicks
    from {{ ref('stg_recs__impressions') }}

),

ctr as (

    {%- for dim, col in [('overall', "'all'"), ('slot', 'slot'), ('platform', 'platform'), ('item', 'sku')] %}
    select
        impression_date as kpi_date,
        'ctr' as kpi,
        '{{ dim }}' as dimension,
        {{ col }} as dimension_value,
        cast(sum(clicks) as double) as numerator,
        cast(sum(impressions) as double) as denominator,
        cast(sum(clicks) as bigint) as volume
    from impressions
    group by impression_date{% if dim != 'overall' %}, {{ col }}{% endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

sessions as (

    select session_date, platform, is_converted
    from {{ ref('int_app_sessions') }}

),

cvr as (

    {%- for dim, col in [('overall', "'all'"), ('platform', 'platform')] %}
    select
        session_date as kpi_date,
        'cvr' as kpi,
        '{{ dim }}' as dimension,
        {{ col }} as dimension_value,
        cast(sum(is_converted) as double) as numerator,
        cast(count(*) as double) as denominator,
        cast(sum(is_converted) as bigint) as volume
    from sessions
    {%- if dim == 'platform' %}
    where platform is not null
    {%- endif %}
    group by session_date{% if dim != 'overall' %}, {{ col }}{% endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

-- Each customer's orders numbered by time: rn = 1 is the first.
orders_numbered as (

    select
        customer_id,
        net_cny,
        row_number() over (partition by customer_id order by ordered_at, order_id) as rn
    from orders
    where customer_id is not null

),

-- New customers: first counted order on the day, with that order's net amount.
new_customers as (

    select
        d.customer_id,
        d.first_order_date,
        coalesce(d.acquisition_channel, 'unknown') as acquisition_channel,
        fo.net_cny as first_order_net_cny
    from {{ ref('dim_customers') }} as d
    inner join orders_numbered as fo on fo.customer_id = d.customer_id and fo.rn = 1
    where d.first_order_date is not null

),

spend as (

    select spend_date, channel, cast(spend_cny as double) as spend_cny
    from {{ ref('stg_ads__spend_daily') }}

),

acquisition_grid as (

    select spend_date as kpi_date, channel from spend
    union
    select first_order_date as kpi_date, acquisition_channel as channel from new_customers

),

acquisition_by_channel as (

    select
        g.kpi_date,
        g.channel,
        coalesce(max(s.spend_cny), 0) as spend_cny,
        count(distinct n.customer_id) as new_customers,
        coalesce(sum(n.first_order_net_cny), 0) as first_order_net_cny
    from acquisition_grid as g
    left join spend as s on s.spend_date = g.kpi_date and s.channel = g.channel
    left join new_customers as n
        on n.first_order_date = g.kpi_date and n.acquisition_channel = g.channel
    group by g.kpi_date, g.channel

),

acquisition_all as (

    select kpi_date, 'overall' as dimension, 'all' as dimension_value,
        sum(spend_cny) as spend_cny, sum(new_customers) as new_customers,
        sum(first_order_net_cny) as first_order_net_cny
    from acquisition_by_channel
    group by kpi_date
    union all
    select kpi_date, 'channel' as dimension, channel as dimension_value,
        spend_cny, new_customers, first_order_net_cny
    from acquisition_by_channel

),

acquisition as (

    select kpi_date, 'ad_spend_cny' as kpi, dimension, dimension_value,
        cast(spend_cny as double) as numerator, cast(null as double) as denominator,
        cast(null as bigint) as volume
    from acquisition_all
    union all
    select kpi_date, 'new_customers' as kpi, dimension, dimension_value,
        cast(new_customers as double) as numerator, cast(null as double) as denominator,
        cast(new_customers as bigint) as volume
    from acquisition_all
    union all
    -- (spend - margin x first-order net) / new customers: NULL on a day without new customers.
    select kpi_date, 'acquisition_cost_net_cny' as kpi, dimension, dimension_value,
        cast(spend_cny - {{ margin_rate }} * first_order_net_cny as double) as numerator,
        cast(new_customers as double) as denominator,
        cast(new_customers as bigint) as volume
    from acquisition_all

),

nps_responses as (

    select
        {{ segmentation_local_date('responded_at') }} as response_date,
        platform,
        score
    from {{ ref('stg_survey__nps_responses') }}

),

nps as (

    {%- for dim, col in [('overall', "'all'"), ('platform', 'platform')] %}
    select
        response_date as kpi_date,
        'nps' as kpi,
        '{{ dim }}' as dimension,
        {{ col }} as dimension_value,
        cast(
            sum(case when score >= {{ measurement_parameter('nps_promoter_min_score') }} then 1 else 0 end)
            - sum(case when score <= {{ measurement_parameter('nps_detractor_max_score') }} then 1 else 0 end)
            as double
        ) as numerator,
        cast(count(*) as double) as denominator,
        cast(count(*) as bigint) as volume
    from nps_responses
    {%- if dim == 'platform' %}
    where platform is not null
    {%- endif %}
    group by response_date{% if dim != 'overall' %}, {{ col }}{% endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

all_rows as (

    {{ measurement_kpi_rows('order_kpis') }}
    union all
    {{ measurement_kpi_rows('rec_share') }}
    union all
    {{ measurement_kpi_rows('ctr') }}
    union all
    {{ measurement_kpi_rows('cvr') }}
    union all
    {{ measurement_kpi_rows('acquisition') }}
    union all
    {{ measurement_kpi_rows('nps', 100) }}

)

select
    cast(kpi_date as date) as kpi_date,
    cast(kpi as {{ dbt.type_string() }}) as kpi,
    cast(dimension as {{ dbt.type_string() }}) as dimension,
    cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
    cast(value as double) as value,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(volume as bigint) as volume
from all_rows
where kpi_date is not null
