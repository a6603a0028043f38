"""Online shop: orders, items, payments, refunds, shipments and the app event stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog as cat
from .context import Ctx
from .frame import NULL_TS, Frame, dict_array, group_sum, id_sql, starts
from .persons import Persons
from .purchases import Lines, Purchases, build_baskets, sample_categories

SEC = 1000
# Event blocks in session order; the event type each block emits.
BLOCKS = ("search", "view", "share", "add_cart", "remove_cart", "oos_view", "checkout", "pay")
BLOCK_TYPE = np.array([1, 0, 6, 2, 3, 0, 4, 5])  # index into cat.EVENT_TYPES
REASONS = ("price", "stock_out", "friction")
# Price-sensitive persons (own random stream, so the other online draws are unchanged): they
# use coupons on PRICE_SENSITIVE_COUPON_P of their online orders (everyone else on
# COUPON_P) and abandon more carts for price. A price abandonment of a person who is not price
# sensitive always shows a price rise (the cart's unit price above the price viewed earlier in
# the session); one of a price-sensitive person only PRICE_RISE_SHARE_SENSITIVE of the time,
# otherwise the only signal is the person's coupon history.
PRICE_SENSITIVE_SHARE = 0.2
COUPON_P, PRICE_SENSITIVE_COUPON_P = 0.25, 0.7
PRICE_RISE = 1.22
PRICE_RISE_SHARE_SENSITIVE = 0.3


@dataclass
class Orders:
    person: np.ndarray
    ts: np.ndarray
    device: np.ndarray  # device row
    channel: np.ndarray
    paid: np.ndarray  # bool: status paid (else cancelled)
    paid_ts: np.ndarray
    items: np.ndarray
    discount: np.ndarray
    coupon: np.ndarray
    shipping: np.ndarray
    pay: np.ndarray
    lines: Lines
    line_disc: np.ndarray
    order_id: np.ndarray  # object


@dataclass
class Online:
    frames: list[Frame]
    orders: Orders
    truth: dict[str, dict[str, np.ndarray]]


def _device_for(rng: np.random.Generator, ps: Persons, person: np.ndarray) -> np.ndarray:
    k = (rng.random(len(person)) * ps.dev_count[person]).astype(int)
    k = np.where(rng.random(len(person)) < 0.6, 0, k)  # the primary device most of the time
    return ps.dev_first[person] + k


def _channel_for(
    rng: np.random.Generator, ps: Persons, person: np.ndarray, device: np.ndarray
) -> np.ndarray:
    plat = ps.dev_platform[device]
    ch = np.select([plat == 2, plat == 3], [1, 2], 0)
    douyin = (ps.acq_channel[person] == 0) & (rng.random(len(person)) < 0.4)
    return np.where(douyin, 3, ch)


def _amounts(
    ctx: Ctx,
    rng: np.random.Generator,
    lines: Lines,
    n: int,
    day: np.ndarray,
    coupon_p: np.ndarray | float = COUPON_P,
):
    items = np.round(group_sum(lines.parent, lines.amount, n), 2)
    sale = cat.is_sale_day(ctx.start, ctx.days)[np.clip(day, 0, ctx.days - 1)]
    disc = np.where(
        sale, items * rng.uniform(0.08, 0.2, n), np.where(rng.random(n) < 0.12, items * 0.05, 0.0)
    )
    disc = np.round(disc, 2)
    coupon = np.where(rng.random(n) < coupon_p, rng.choice([5.0, 10.0, 20.0, 50.0], n), 0.0)
    coupon = np.minimum(coupon, np.floor((items - disc) / 4))
    shipping = np.where(items - disc - coupon >= 99, 0.0, 8.0)
    pay = np.round(items - disc - coupon + shipping, 2)
    # Line share of order discount + coupon; the rounding rest goes to line 1.
    total = disc + coupon
    share = np.round(total[lines.parent] * lines.amount / np.maximum(items[lines.parent], 0.01), 2)
    rest = np.round(total - group_sum(lines.parent, share, n), 2)
    share = np.round(share + np.where(lines.line_no == 1, rest[lines.parent], 0.0), 2)
    return items, disc, coupon, shipping, pay, share


def build_online(ctx: Ctx, ps: Persons, pur: Purchases) -> Online:
    rng = ctx.rng("online")
    op = pur.take(pur.online)
    n_ord = len(op.person)
    ord_device = _device_for(rng, ps, op.person)
    ord_channel = _channel_for(rng, ps, op.person, ord_device)
    ord_lines = build_baskets(ctx, ps, rng, op.person, op.cat, 0.5)

    # --- sessions: purchases (not Douyin shop), abandoned carts, browsing ---------------------
    lo = np.maximum(ps.acq_day, 0)
    hi = np.minimum(ps.churn_day + 20, ctx.days)  # churned people still browse a little
    months = np.where(ps.online, np.maximum(hi - lo, 0) / 30.44, 0.0)
    buy_rate = ps.rate * ps.online_share
    k_ab = rng.poisson(months * (0.8 * buy_rate + 0.12))
    k_br = rng.poisson(months * (0.35 + 1.0 * buy_rate))
    ab_p = np.repeat(np.arange(ps.n), k_ab)
    br_p = np.repeat(np.arange(ps.n), k_br)
    hi_buy = np.minimum(ps.churn_day, ctx.days)  # no carts (or cancelled orders) after churn
    ab_t = ctx.instants(rng, ctx.sample_days(rng, lo[ab_p], hi_buy[ab_p]), cat.HOUR_PROFILE_ONLINE)
    br_t = ctx.instants(rng, ctx.sample_days(rng, lo[br_p], hi[br_p]), cat.HOUR_PROFILE_ONLINE)
    # Shoppers in a store with a shared tablet often browse on it before paying (identity trap).
    tablet_of_store = np.full(len(ctx.stores), -1)
    tablet_of_store[ps.tablet_store] = np.arange(len(ps.tablet_store))
    fp = pur.take(~pur.online)
    tab = tablet_of_store[np.maximum(fp.store, 0)]
    on_tab = (tab >= 0) & (rng.random(len(tab)) < 0.5)
    br_tablet = np.concatenate([np.full(len(br_p), -1), tab[on_tab]])
    br_p = np.concatenate([br_p, fp.person[on_tab]])
    br_t = np.concatenate([br_t, fp.ts[on_tab] - rng.integers(5, 25, on_tab.sum()) * 60 * SEC])
    ab_cat = sample_categories(rng, ps.affinity[ab_p])
    br_cat = sample_categories(rng, ps.affinity[br_p])
    ab_lines = build_baskets(ctx, ps, rng, ab_p, ab_cat, 0.2)
    br_lines = build_baskets(ctx, ps, rng, br_p, br_cat, 1.0)
    n_ab, n_br = len(ab_p), len(br_p)
    prng = ctx.rng("online_price")
    price_sensitive = prng.random(ps.n) < PRICE_SENSITIVE_SHARE
    ab_sens = price_sensitive[ab_p]
    ab_stage_checkout = rng.random(n_ab) < 0.4
    ab_reason = np.where(
        ab_stage_checkout,
        np.where(rng.random(n_ab) < np.where(ab_sens, 0.65, 0.4), 0, 2),
        np.where(rng.random(n_ab) < np.where(ab_sens, 0.8, 0.55), 0, 1),
    )
    ab_price_rise = (ab_reason == 0) & (~ab_sens | (prng.random(n_ab) < PRICE_RISE_SHARE_SENSITIVE))
    ab_error = np.where(ab_reason == 2, rng.choice(3, n_ab, p=[0.4, 0.35, 0.25]), -1)
    cancelled = ab_error == cat.FRICTION_CODES.index("payment_timeout")

    # --- orders: paid purchases + cancelled checkouts (payment timeout) ------------------------
    cx = np.flatnonzero(cancelled)
    ab_device = _device_for(rng, ps, ab_p)
    cx_mask = np.isin(ab_lines.parent, cx)
    remap = np.full(n_ab, -1)
    remap[cx] = np.arange(len(cx)) + n_ord
    lines = Lines(
        np.concatenate([ord_lines.parent, remap[ab_lines.parent[cx_mask]]]),
        np.concatenate([ord_lines.line_no, ab_lines.line_no[cx_mask]]),
        np.concatenate([ord_lines.sku, ab_lines.sku[cx_mask]]),
        np.concatenate([ord_lines.qty, ab_lines.qty[cx_mask]]),
        np.concatenate([ord_lines.price, ab_lines.price[cx_mask]]),
    )
    o_person = np.concatenate([op.person, ab_p[cx]])
    o_ts = np.concatenate([op.ts, ab_t[cx] + 120 * SEC])
    n_all = len(o_person)
    o_device = np.concatenate([ord_device, ab_device[cx]])
    o_channel = np.concatenate([ord_channel, _channel_for(rng, ps, ab_p[cx], ab_device[cx])])
    paid = np.arange(n_all) < n_ord
    coupon_p = np.where(price_sensitive[o_person], PRICE_SENSITIVE_COUPON_P, COUPON_P)
    items, disc, coupon, ship, pay, line_disc = _amounts(
        ctx, rng, lines, n_all, ctx.day_of(o_ts), coupon_p
    )
    fail_first = rng.random(n_all) < 0.05
    retry = fail_first * rng.integers(60, 600, n_all) * SEC
    paid_ts = o_ts + rng.integers(15, 180, n_all) * SEC + retry
    order_id = np.array([f"O{i:09d}" for i in ctx.ids("order", n_all)], dtype=object)
    # Order ids follow time so that ids are not a give-away of the generator's build order.
    perm = np.argsort(o_ts, kind="stable")
    order_id[perm] = order_id.copy()
    orders = Orders(
        o_person,
        o_ts,
        o_device,
        o_channel,
        paid,
        paid_ts,
        items,
        disc,
        coupon,
        ship,
        pay,
        lines,
        line_disc,
        order_id,
    )

    frames = _order_frames(ctx, rng, ps, orders, fail_first)
    ev_frame, ev_truth, ab_truth = _events(
        ctx,
        rng,
        ps,
        orders,
        n_ord,
        ab_p,
        ab_t,
        ab_lines,
        ab_device,
        ab_stage_checkout,
        ab_reason,
        ab_error,
        ab_price_rise,
        price_sensitive,
        remap,
        br_p,
        br_t,
        br_lines,
        n_br,
        br_tablet,
    )
    frames.insert(0, ev_frame)
    truth = {
        "orders": {
            "order_id": order_id,
            "person_id": ps.person_id[o_person],
            "order_time_ms": o_ts,
            "status": np.where(paid, "paid", "cancelled").astype(object),
            "items_amount_cny": items,
            "pay_amount_cny": pay,
            "category": np.array([c.name for c in cat.CATEGORIES], dtype=object)[
                ctx.catalog.cat[lines.sku[lines.line_no == 1]]
            ],
            "channel": np.array(cat.ORDER_CHANNELS, dtype=object)[o_channel],
        },
        "events": ev_truth,
        "abandonments": ab_truth,
    }
    return Online(frames, orders, truth)


def _order_frames(
    ctx: Ctx, rng: np.random.Generator, ps: Persons, o: Orders, fail_first: np.ndarray
) -> list[Frame]:
    n = len(o.person)
    cl = ctx.catalog
    region_code = np.array([r.code for r in ctx.regions], dtype=object)
    plat = ps.dev_platform[o.device]
    day = ctx.day_of(o.ts)
    orders = Frame.of(
        "shop",
        "orders",
        {
            "order_id": o.order_id,
            "user_id": ps.user_id[o.person],
            "device_id": ps.dev_id[o.device],
            "order_time": o.ts,
            "status": np.where(o.paid, "paid", "cancelled").astype(object),
            "channel": dict_array(o.channel, cat.ORDER_CHANNELS),
            "platform": dict_array(plat, cat.PLATFORMS),
            "region": region_code[ps.region[o.person]],
            "receiver_phone": ps.phone[o.person],
            "items_amount_cny": o.items,
            "discount_cny": o.discount,
            "coupon_cny": o.coupon,
            "shipping_fee_cny": o.shipping,
            "pay_amount_cny": o.pay,
        },
        day,
        duplicates=True,
    )
    ln = o.lines
    items = Frame.of(
        "shop",
        "order_items",
        {
            "order_id": o.order_id[ln.parent],
            "line_no": ln.line_no,
            "sku": cl.code[ln.sku],
            "category": dict_array(cl.cat[ln.sku], [c.name for c in cat.CATEGORIES]),
            "brand": cl.brand[ln.sku],
            "quantity": ln.qty,
            "unit_price_cny": ln.price,
            "discount_cny": o.line_disc,
        },
        day[ln.parent],
    )

    # Payments: a failed attempt before some successes; cancelled orders only fail.
    method = np.where(plat == 2, 1, rng.choice(3, n, p=[0.5, 0.4, 0.1]))
    f_idx = np.flatnonzero(fail_first | ~o.paid)
    s_idx = np.flatnonzero(o.paid)
    f_ts = np.where(
        o.paid[f_idx], o.ts[f_idx] + rng.integers(10, 60, len(f_idx)) * SEC, o.paid_ts[f_idx]
    )
    p_order = np.concatenate([f_idx, s_idx])
    p_ts = np.concatenate([f_ts, o.paid_ts[s_idx]])
    p_ok = np.concatenate([np.zeros(len(f_idx), bool), np.ones(len(s_idx), bool)])
    srt = np.lexsort((p_ok, p_ts))
    p_order, p_ts, p_ok = p_order[srt], p_ts[srt], p_ok[srt]
    payments = Frame.of(
        "shop",
        "payments",
        {
            "payment_id": ctx.ids("payment", len(p_order)),
            "order_id": o.order_id[p_order],
            "paid_time": p_ts,
            "method": dict_array(method[p_order], cat.PAY_METHODS),
            "amount_cny": o.pay[p_order],
            "status": np.where(p_ok, "success", "failed").astype(object),
        },
        ctx.day_of(p_ts),
        sql={"payment_id": id_sql("PAY", 10)},
    )

    # Shipments for paid orders: promised vs actual delivery, preferred slot.
    sh = np.flatnonzero(o.paid)
    m = len(sh)
    promised = o.paid_ts[sh] + np.where(rng.random(m) < 0.7, 48, 72) * cat.HOUR_MS
    shipped = o.paid_ts[sh] + (rng.lognormal(2.3, 0.6, m) * cat.HOUR_MS).astype(np.int64)
    late = rng.random(m) < 0.12
    delivered = shipped + (
        (rng.lognormal(3.4, 0.4, m) + late * rng.uniform(24, 96, m)) * cat.HOUR_MS
    ).astype(np.int64)
    in_window = delivered < ctx.t_end
    ship_day = np.where(in_window, ctx.day_of(delivered), ctx.days - 1)
    shipped_known = shipped < ctx.t0 + (ship_day + 1) * cat.DAY_MS
    shipments = Frame.of(
        "logistics",
        "shipments",
        {
            "shipment_id": ctx.ids("shipment", m),
            "order_id": o.order_id[sh],
            "carrier": dict_array(rng.choice(len(cat.CARRIERS), m), cat.CARRIERS),
            "region": region_code[ps.region[o.person[sh]]],
            "receiver_phone": ps.phone[o.person[sh]],
            "promised_time": promised,
            "shipped_time": np.where(shipped_known, shipped, NULL_TS),
            "delivered_time": np.where(in_window, delivered, NULL_TS),
            "preferred_slot": dict_array(ps.slot[o.person[sh]], cat.SLOTS),
        },
        ship_day,
        sql={"shipment_id": id_sql("SH", 10)},
    )

    # Refunds / returns on a few % of paid orders.
    r = sh[rng.random(m) < 0.04]
    k = len(r)
    is_return = rng.random(k) < 0.4
    line_first = np.searchsorted(ln.parent, r)  # line 1 of each order (lines sorted by parent)
    ret_line = line_first + (rng.random(k) * np.bincount(ln.parent, minlength=n)[r]).astype(int)
    amount = np.where(is_return, np.round(ln.amount[ret_line] - o.line_disc[ret_line], 2), o.pay[r])
    base = np.where(
        delivered[np.searchsorted(sh, r)] < ctx.t_end,
        delivered[np.searchsorted(sh, r)],
        o.paid_ts[r] + cat.DAY_MS,
    )
    req = base + (rng.uniform(2, 7 * 24, k) * cat.HOUR_MS).astype(np.int64)
    done = req + (rng.uniform(12, 5 * 24, k) * cat.HOUR_MS).astype(np.int64)
    keep = req < ctx.t_end
    done_in = done < ctx.t_end
    refunds = Frame.of(
        "shop",
        "refunds",
        {
            "refund_id": ctx.ids("refund", k)[keep],
            "order_id": o.order_id[r][keep],
            "sku": np.where(is_return, cl.code[ln.sku[ret_line]], None)[keep],
            "refund_type": np.where(is_return, "return", "refund").astype(object)[keep],
            "amount_cny": amount[keep],
            "requested_time": req[keep],
            "completed_time": np.where(done_in, done, NULL_TS)[keep],
            "reason": dict_array(rng.choice(len(cat.REFUND_REASONS), k), cat.REFUND_REASONS).filter(
                keep
            ),
        },
        np.where(done_in, ctx.day_of(done), ctx.days - 1)[keep],
        sql={"refund_id": id_sql("RF", 9)},
    )
    return [orders, items, payments, refunds, shipments]


def _events(
    ctx,
    rng,
    ps: Persons,
    o: Orders,
    n_ord,
    ab_p,
    ab_t,
    ab_lines,
    ab_device,
    ab_checkout,
    ab_reason,
    ab_error,
    ab_price_rise,
    price_sensitive,
    remap,
    br_p,
    br_t,
    br_lines,
    n_br,
    br_tablet,
):
    """Sessions -> events. Blocks per session in BLOCKS order; vectorised over all events."""
    cl = ctx.catalog
    # Purchase sessions: every paid order that was not placed in the Douyin shop.
    pu = np.flatnonzero((np.arange(len(o.person)) < n_ord) & (o.channel != 3))
    n_lines_o = np.bincount(o.lines.parent, minlength=len(o.person))
    n_ab, n_pu = len(ab_p), len(pu)

    # Browsing on the shared in-store tablet (identity trap) by some offline-and-online people.
    on_tablet = br_tablet >= 0
    br_device = np.where(on_tablet, len(ps.dev_id) + br_tablet, _device_for(rng, ps, br_p))

    person = np.concatenate([o.person[pu], ab_p, br_p])
    device = np.concatenate([o.device[pu], ab_device, br_device])
    kind = np.repeat([0, 1, 2], [n_pu, n_ab, n_br])
    S = len(person)
    n_lines = np.concatenate(
        [
            n_lines_o[pu],
            np.bincount(ab_lines.parent, minlength=n_ab),
            np.bincount(br_lines.parent, minlength=n_br),
        ]
    )
    # Flat line table of all sessions.
    ord_line_first = starts(n_lines_o)
    line_sku = np.concatenate([o.lines.sku, ab_lines.sku, br_lines.sku])
    line_qty = np.concatenate([o.lines.qty, ab_lines.qty, br_lines.qty])
    line_price = np.concatenate([o.lines.price, ab_lines.price, br_lines.price])
    off_ab = len(o.lines.sku)
    off_br = off_ab + len(ab_lines.sku)
    line_first = np.concatenate(
        [
            ord_line_first[pu],
            off_ab + starts(n_lines[n_pu : n_pu + n_ab]),
            off_br + starts(n_lines[n_pu + n_ab :]),
        ]
    )

    reason = np.concatenate([np.full(n_pu, -1), ab_reason, np.full(n_br, -1)])
    checkout_ab = np.concatenate([np.zeros(n_pu, bool), ab_checkout, np.zeros(n_br, bool)])
    B = np.zeros((S, len(BLOCKS)), dtype=np.int64)
    B[:, 0] = rng.poisson(np.where(kind == 2, 0.6, 0.3))
    B[:, 1] = np.where(kind == 2, 1 + rng.poisson(1.5, S), n_lines + rng.poisson(1.2, S))
    B[:, 2] = (kind == 2) & (rng.random(S) < 0.1)
    B[:, 3] = np.where(kind == 2, 0, n_lines)
    B[:, 4] = (kind == 1) & (reason == 0) & (rng.random(S) < 0.4)
    B[:, 5] = (kind == 1) & (reason == 1)
    B[:, 6] = (kind == 0) | checkout_ab
    B[:, 7] = kind == 0
    total = B.sum(axis=1)
    E = int(total.sum())
    sess = np.repeat(np.arange(S), total)
    first = starts(total)
    pos = np.arange(E) - first[sess]
    cumB = np.cumsum(B, axis=1)
    block = np.zeros(E, dtype=np.int64)
    for k in range(len(BLOCKS) - 1):
        block += pos >= cumB[sess, k]
    pos_in_block = pos - (cumB[sess, block] - B[sess, block])
    etype = BLOCK_TYPE[block]
    has_line = np.isin(block, [1, 2, 3, 4, 5])
    line = line_first[sess] + np.where(
        block == 1,
        pos_in_block % np.maximum(n_lines[sess], 1),
        np.where(block == 3, pos_in_block, 0),
    )
    sku = line_sku[line]
    # Searches look for the category of the session's first line.
    scat = cl.cat[line_sku[line_first[sess]]]

    # Times: gaps with dwell on views, anchored so checkout == order time in purchase sessions.
    dwell = np.where(etype == 0, rng.lognormal(9.3, 0.8, E), np.nan)
    gap = (rng.exponential(25_000, E) + 2_000 + np.nan_to_num(dwell)).astype(np.int64)
    gap[first] = 0
    csum = np.cumsum(gap)
    off = csum - csum[first][sess]
    s_start = np.concatenate([np.zeros(n_pu, np.int64), ab_t, br_t])
    co_pos = first + cumB[:, 5]  # position of the checkout block
    anchor = np.where(
        kind == 0, np.concatenate([o.ts[pu], ab_t, br_t]) - off[np.minimum(co_pos, E - 1)], s_start
    )
    ev_ts = anchor[sess] + off
    sess_order = np.full(S, -1)
    sess_order[:n_pu] = pu
    # Cancelled (payment timeout) checkouts keep the order's time.
    cx_ab = np.flatnonzero(remap >= 0)
    sess_order[n_pu + cx_ab] = remap[cx_ab]
    is_pay = etype == 5
    ev_ts[is_pay] = o.paid_ts[sess_order[sess[is_pay]]]
    ev_ts = ev_ts // SEC * SEC  # whole seconds, like every other feed

    # Event attributes.
    dev_all_id = np.concatenate([ps.dev_id, ps.tablet_ids])
    dev_all_plat = np.concatenate([ps.dev_platform, np.ones(len(ps.tablet_ids), int)])
    ev_dev = device[sess]
    plat = dev_all_plat[ev_dev]
    tablet_s = np.concatenate([np.zeros(n_pu + n_ab, bool), on_tablet])
    # A personal device (or WeChat mini-program) of a person whose app account predates the
    # window starts the window logged in; the shared tablet never does.
    pre_login = ps.account_pre[person] & ~tablet_s
    logged = _persistent_login(rng, kind, checkout_ab, device, anchor, tablet_s, pre_login)
    sp = person[sess]
    user_known = logged[sess] & ps.online[sp]
    user_idx = np.where(user_known, sp, 0)
    user_vals = np.where(ps.user_id == None, "", ps.user_id)  # noqa: E711
    openid_vals = np.where(ps.openid == None, "", ps.openid)  # noqa: E711
    has_oid = (plat == 2) & (ps.openid[sp] != None)  # noqa: E711
    chan = np.where(rng.random(S) < 0.8, ps.acq_channel[person], rng.choice(5, S))
    chan = np.where(tablet_s, 4, chan)
    price = line_price[line]
    # A price rise: the item was viewed at its list price and carted (and removed) at a higher one.
    rise = np.concatenate([np.zeros(n_pu, bool), ab_price_rise, np.zeros(n_br, bool)])
    price_hike = rise[sess] & np.isin(block, [3, 4])
    price = np.round(np.where(price_hike, price * PRICE_RISE, price), 2)
    basket_val = group_sum(sess, np.where(block == 3, price * line_qty[line], 0.0), S)
    order_pay = np.zeros(S)
    order_pay[sess_order >= 0] = o.pay[sess_order[sess_order >= 0]]
    price = np.where(block == 6, np.round(basket_val[sess], 2), price)
    price = np.where(block == 7, order_pay[sess], price)
    price = np.where(has_line | (block >= 6), price, np.nan)
    qty = np.where((block == 3) | (block == 4), line_qty[line], 0)
    stock = np.select([block == 5, np.isin(block, [1, 3])], [1, 0], -1)
    err = np.where(
        block == 6, np.concatenate([np.full(n_pu, -1), ab_error, np.full(n_br, -1)])[sess], -1
    )
    terms = [t for c in cat.CATEGORIES for t in c.search_terms]
    term_first = np.cumsum([0] + [len(c.search_terms) for c in cat.CATEGORIES])
    term_n = np.diff(term_first)
    term = term_first[scat] + (rng.random(E) * term_n[scat]).astype(int)
    sid = np.empty(S, np.int64)
    sid[np.argsort(anchor, kind="stable")] = ctx.ids("session", S)
    order_for_pay = np.where(is_pay, sess_order[sess], 0)
    # Event ids ordered by time.
    eorder = np.argsort(ev_ts, kind="stable")
    eid = np.empty(E, np.int64)
    eid[eorder] = ctx.ids("event", E)
    cats = [c.name for c in cat.CATEGORIES]

    frame = Frame.of(
        "app",
        "events",
        {
            "event_id": eid,
            "event_type": dict_array(etype, cat.EVENT_TYPES),
            "event_time": ev_ts,
            "user_id": dict_array(user_idx, user_vals, mask=~user_known),
            "device_id": dict_array(ev_dev, dev_all_id),
            "openid": dict_array(np.where(has_oid, sp, 0), openid_vals, mask=~has_oid),
            "platform": dict_array(plat, cat.PLATFORMS),
            "channel": dict_array(chan[sess], cat.ACQ_CHANNELS),
            "session_id": sid[sess],
            "sku": dict_array(sku, cl.code, mask=~has_line),
            "category": dict_array(
                np.where(block == 0, scat, cl.cat[sku]), cats, mask=~(has_line | (block == 0))
            ),
            "price_cny": price,
            "quantity": _masked_int(qty, qty == 0),
            "dwell_ms": _masked_int(np.nan_to_num(dwell).astype(np.int64), np.isnan(dwell)),
            "search_query": dict_array(term, terms, mask=block != 0),
            "stock_status": dict_array(
                np.maximum(stock, 0), ("in_stock", "out_of_stock"), mask=stock < 0
            ),
            "error_code": dict_array(np.maximum(err, 0), cat.FRICTION_CODES, mask=err < 0),
            "order_id": dict_array(order_for_pay, o.order_id, mask=~is_pay),
        },
        ctx.day_of(ev_ts),
        duplicates=True,
        sql={"event_id": id_sql("E", 11), "session_id": id_sql("S", 10)},
    )
    ev_truth = {
        "event_id": eid,
        "person_id_idx": sp,
        "event_time_ms": ev_ts,
        "session_id": sid[sess],
        "event_type": etype,
    }
    ab_s = np.arange(n_pu, n_pu + n_ab)
    ab_truth = {
        "session_id": sid[ab_s],
        "person_id": ps.person_id[ab_p],
        "stage": np.where(ab_checkout, "checkout_start", "add_cart").astype(object),
        "reason": np.array(REASONS, dtype=object)[ab_reason],
        # how a price abandonment shows: price_rise (in the session) or price_sensitive (history)
        "price_cue": np.where(
            ab_reason == 0, np.where(ab_price_rise, "price_rise", "price_sensitive"), None
        ).astype(object),
        "is_price_sensitive": price_sensitive[ab_p],
        "sku": cl.code[line_sku[line_first[ab_s]]],
        "session_start_ms": ab_t,
    }
    return frame, ev_truth, ab_truth


# Share of a device's sessions after its first login that are anonymous anyway (logged out,
# token expired, a private tab): apps and mini-programs otherwise keep the user logged in.
LOGOUT_SHARE = 0.03


def _persistent_login(
    rng, kind, checkout_ab, device, start, tablet_s, pre_login=None
) -> np.ndarray:
    """Logged-in flag per session, login persisting per device.

    Each session draws a login as an independent visit would (browsing 70 %, carts 90 %); one that
    reaches checkout is always logged in (an account holds address and payment), like the
    cancelled order it may leave behind. On a personal device the login then persists: sessions
    before the device's first logged-in session are anonymous, later ones are logged in except a
    LOGOUT_SHARE of them. Initial state: a personal device starts the window logged out (as if
    freshly installed) unless ``pre_login`` marks its owner's app account as created before the
    window start (Persons.account_pre; mini-programs keep the WeChat login bound likewise); such a
    device starts logged in, so all its sessions follow the persistence rule, LOGOUT_SHARE
    included. Persons without an account, or whose account is created inside the window, start
    logged out: the account counts as created at their first logged-in session. The shared
    in-store tablet is a kiosk that logs out after each visit:
    its sessions keep the independent draw. The logout draw reuses the login draw's uniform
    (rescaled above the login threshold), so the random stream is the same as with independent
    draws and only login states change.
    """
    S = len(kind)
    u_browse, u_other = rng.random(S), rng.random(S)
    u = np.where(kind == 2, u_browse, u_other)
    p = np.where(kind == 2, 0.7, 0.9)
    drawn = (kind == 0) | checkout_ab | (u < p)
    # Sessions of a device in time order (ties by session index: lexsort is stable).
    order = np.lexsort((start, device))
    dev_s, drawn_s = device[order], drawn[order]
    new_dev = np.r_[True, dev_s[1:] != dev_s[:-1]]
    # Logged-in sessions strictly before this one on the same device.
    csum = np.cumsum(drawn_s) - drawn_s
    before = csum - np.maximum.accumulate(np.where(new_dev, csum, 0))
    prior = np.empty(S, bool)
    prior[order] = before > 0
    if pre_login is not None:
        prior |= pre_login
    logout = (u - p) / (1 - p) < LOGOUT_SHARE  # only read where u >= p (not drawn)
    return drawn | (prior & ~logout & ~tablet_s)


def _masked_int(values: np.ndarray, null: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int64), mask=null)
