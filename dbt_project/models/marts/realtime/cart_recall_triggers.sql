{#- Cart-recall triggers: one row per add_cart event that no pay followed, for the marketing
    automation to act on within minutes (the inbox sensor's fast lane builds only raw/app_events,
    staging/stg_app__events and this model).

    Incremental and append-only: a run reads only the recent rows of stg_app__events (the batch):
      * context window: _loaded_at within var('incremental_lookback_days') of the newest
        _loaded_at already processed (pays and session errors of late-arriving copies are seen),
        and event_at within the lookback + 1 day of the newest event landed since;
      * candidates: add_cart events landed after that newest _loaded_at, and (first build only
        matters) whose event_at is within the lookback of the newest event in the window, so the
        first build does not trigger on a year of stale carts;
      * trigger_id already in the table -> skipped (a re-sent copy of an event triggers once).
    A re-run with nothing new landed appends nothing. Triggers are decisions taken with the data
    known at the time: a pay that arrives in a later batch does not retract an emitted trigger.

    Covered (no trigger): a pay by the same user (or, anonymous, the same device) at or after the
    cart whose sku equals the cart's sku, or a whole-cart pay (sku NULL) in the same session or
    whose order's lines (stg_shop__order_items, as last built) contain the sku.

    Session signals (cheap: all in the batch): has_out_of_stock (the cart item was out of stock, on
    the cart event or on another event of the session for that sku), has_checkout_error (the
    session hit an error_code), viewed_price_cny (lowest price of the sku on a view of the session
    at or before the cart) against cart_price_cny. trigger_reason is the provisional reason from
    the session alone, in the precedence of the brief's three: out_of_stock, friction, price (the
    cart price above the viewed price), else unclassified. The daily mart
    activation/conversion/cart_recalls takes the final reason (seed thresholds, the customer's
    order history for price sensitivity) and the offer.

    customer_id: via int_identifiers_resolved (user_id, else device_id, else openid) as left by
    the last full build, NULL when unresolved or when identity was never built: the fast lane
    never rebuilds identity. -#}
{{ config(
    materialized='incremental',
    unique_key='trigger_id',
    incremental_strategy='append',
    on_schema_change='append_new_columns'
) }}

{%- set lookback = var('incremental_lookback_days') | int %}
{%- set floor_ts = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}
{#- ref() unconditionally (the dependency edge), load_relation at run time (may not exist yet). -#}
{%- set resolved_ref = ref('int_identifiers_resolved') %}
{%- set order_items_ref = ref('stg_shop__order_items') %}
{%- set resolved_rel = load_relation(resolved_ref) if execute else none %}
{%- set order_items_rel = load_relation(order_items_ref) if execute else none %}

with watermark as (

    {% if is_incremental() -%}
    select coalesce(max(_loaded_at), {{ floor_ts }}) as processed_to from {{ this }}
    {%- else -%}
    select {{ floor_ts }} as processed_to
    {%- endif %}

),

newest as (

    select max(e.event_at) as newest_event_at
    from {{ ref('stg_app__events') }} as e
    cross join watermark as w
    where e._loaded_at > w.processed_to

),

batch as (

    -- Only carts within the lookback of the newest event can trigger, and only pays at or after
    -- a cart cover it, so older events are context for nothing but long sessions: one more day
    -- is kept for those. Without the event-time bound a backfill (a year landed at once) made
    -- every later run re-read the whole year.
    select e.*
    from {{ ref('stg_app__events') }} as e
    cross join watermark as w
    cross join newest as n
    where e._loaded_at >= {{ dbt.dateadd('day', -1 * lookback, 'w.processed_to') }}
      and e.event_at >= {{ dbt.dateadd('day', -1 * (lookback + 1), 'n.newest_event_at') }}

),

carts as (

    select b.*
    from batch as b
    cross join watermark as w
    where b.event_type = 'add_cart'
      and b.sku is not null
      and b._loaded_at > w.processed_to
      and b.event_at >= (
          select {{ dbt.dateadd('day', -1 * lookback, 'max(event_at)') }} from batch
      )

),

pays as (

    select event_id, user_id, device_id, session_id, sku, order_id, event_at
    from batch
    where event_type = 'pay'

),

{%- if order_items_rel is not none %}

paid_skus as (

    select distinct p.event_id as pay_event_id, oi.sku
    from pays as p
    inner join {{ order_items_ref }} as oi on oi.order_id = p.order_id
    where p.sku is null and p.order_id is not null

),
{%- endif %}

cart_pays as (

    -- pays after the cart by the same user, or on the same device for an anonymous cart: two
    -- equi-joins (an OR in one join condition would be a nested-loop join, quadratic at scale)
    select c.event_id, c.sku, c.session_id, p.event_id as pay_event_id, p.sku as pay_sku,
        p.session_id as pay_session_id
    from carts as c
    inner join pays as p on p.user_id = c.user_id and p.event_at >= c.event_at
    union all
    select c.event_id, c.sku, c.session_id, p.event_id as pay_event_id, p.sku as pay_sku,
        p.session_id as pay_session_id
    from carts as c
    inner join pays as p on p.device_id = c.device_id and p.event_at >= c.event_at
    where c.user_id is null

),

covered as (

    select distinct cp.event_id
    from cart_pays as cp
    {%- if order_items_rel is not none %}
    left join paid_skus as ps
        on ps.pay_event_id = cp.pay_event_id and ps.sku = cp.sku
    {%- endif %}
    where cp.pay_sku = cp.sku
       or (cp.pay_sku is null and cp.pay_session_id = cp.session_id)
    {%- if order_items_rel is not none %}
       or ps.sku is not null
    {%- endif %}

),

friction_sessions as (

    select distinct session_id
    from batch
    where error_code is not null and session_id is not null

),

out_of_stock_in_session as (

    select distinct session_id, sku
    from batch
    where stock_status = 'out_of_stock' and session_id is not null and sku is not null

),

viewed_prices as (

    select c.event_id, min(v.price_cny) as viewed_price_cny
    from carts as c
    inner join batch as v
        on v.session_id = c.session_id and v.sku = c.sku and v.event_at <= c.event_at
    where v.event_type = 'view' and v.price_cny is not null
    group by c.event_id

),

{%- if resolved_rel is not none %}

resolved as (

    select identifier_key, customer_id from {{ resolved_ref }}

),
{%- endif %}

triggers as (

    select
        {{ dbt.hash("'cart_recall|' || c.event_id") }} as trigger_id,
        c.event_id,
        c.user_id,
        c.device_id,
        {% if resolved_rel is not none -%}
        coalesce(ru.customer_id, rd.customer_id, ro.customer_id)
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as customer_id,
        c.session_id,
        c.sku,
        c.category,
        c.event_at,
        c.price_cny as cart_price_cny,
        vp.viewed_price_cny,
        (c.stock_status = 'out_of_stock' or oos.sku is not null) as has_out_of_stock,
        (fs.session_id is not null) as has_checkout_error,
        case
            when c.stock_status = 'out_of_stock' or oos.sku is not null then 'out_of_stock'
            when fs.session_id is not null then 'friction'
            when c.price_cny > vp.viewed_price_cny then 'price'
            else 'unclassified'
        end as trigger_reason,
        c._loaded_at
    from carts as c
    left join viewed_prices as vp on vp.event_id = c.event_id
    left join friction_sessions as fs on fs.session_id = c.session_id
    left join out_of_stock_in_session as oos
        on oos.session_id = c.session_id and oos.sku = c.sku
    {%- if resolved_rel is not none %}
    left join resolved as ru on ru.identifier_key = 'user_id:' || c.user_id
    left join resolved as rd on rd.identifier_key = 'device_id:' || c.device_id
    left join resolved as ro on ro.identifier_key = 'openid:' || c.openid
    {%- endif %}
    where c.event_id not in (select cv.event_id from covered as cv)

)

select
    t.trigger_id,
    t.event_id,
    t.user_id,
    t.device_id,
    t.customer_id,
    t.session_id,
    t.sku,
    t.category,
    t.event_at,
    cast(t.cart_price_cny as decimal(18, 2)) as cart_price_cny,
    cast(t.viewed_price_cny as decimal(18, 2)) as viewed_price_cny,
    cast(coalesce(t.has_out_of_stock, false) as boolean) as has_out_of_stock,
    cast(t.has_checkout_error as boolean) as has_checkout_error,
    t.trigger_reason,
    t._loaded_at,
    cast(current_timestamp as {{ dbt.type_timestamp() }}) as triggered_at
from triggers as t
{%- if is_incremental() %}
where not exists (select 1 from {{ this }} as x where x.trigger_id = t.trigger_id)
{%- endif %}
