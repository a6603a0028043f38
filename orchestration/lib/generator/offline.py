"""Offline stores: POS receipts and lines, hourly RFID footfall, shop-assistant interactions.

POS times are store-local (naive); identification is a member card, a phone, or nothing. A few
stores key their counter phone number into anonymous receipts (identity trap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as cat
from .context import Ctx
from .frame import Frame, dict_array, group_sum, id_sql
from .persons import Persons
from .purchases import Lines, Purchases, build_baskets

ASSISTANTS_PER_STORE = 8
INTERACTION_TYPES = ("consult", "trial", "fitting")


@dataclass
class Offline:
    frames: list[Frame]
    receipt_person: np.ndarray
    receipt_ts: np.ndarray
    receipt_total: np.ndarray
    receipt_member: np.ndarray  # bool: identified member (earns points)
    receipt_id: np.ndarray  # int ids (rendered R + 10 digits)
    truth: dict[str, dict[str, np.ndarray]]


def build_offline(ctx: Ctx, ps: Persons, pur: Purchases) -> Offline:
    rng = ctx.rng("offline")
    fp = pur.take(~pur.online)
    n = len(fp.person)
    store = fp.store
    offsets = np.array([s.offset_ms for s in ctx.stores], dtype=np.int64)
    store_ids = np.array([s.store_id for s in ctx.stores], dtype=object)
    lines = build_baskets(ctx, ps, rng, fp.person, fp.cat, 0.6)
    gross = group_sum(lines.parent, lines.amount, n)

    member = ps.is_member[fp.person]
    u = rng.random(n)
    by_card = member & (u < 0.65)
    by_phone = ~by_card & (u < np.where(member, 0.9, 0.35))
    anon = ~by_card & ~by_phone
    counter_of_store = np.full(len(ctx.stores), -1)
    counter_of_store[ps.counter_store] = np.arange(len(ps.counter_store))
    cs = counter_of_store[store]
    trap = anon & (cs >= 0) & (rng.random(n) < 0.5)
    phone = np.where(by_phone, ps.phone[fp.person], None)
    phone[trap] = ps.counter_phones[cs[trap]]
    card = np.where(by_card, ps.card_no[fp.person], None)

    day = ctx.day_of(fp.ts + offsets[store] - cat.SHANGHAI_OFFSET_MS)
    sale = cat.is_sale_day(ctx.start, ctx.days)[np.clip(day, 0, ctx.days - 1)]
    disc_rate = np.where(sale, 0.12, 0.0) + np.where(by_card, 0.05, 0.0)
    line_disc = np.round(lines.amount * disc_rate[lines.parent], 2)
    disc = np.round(group_sum(lines.parent, line_disc, n), 2)
    total = np.round(gross - disc, 2)
    has_asst = rng.random(n) < 0.45
    asst_no = rng.integers(1, ASSISTANTS_PER_STORE + 1, n)
    asst = np.array(
        [f"{store_ids[s]}-A{a:02d}" for s, a in zip(store, asst_no, strict=True)], dtype=object
    )
    rid = np.empty(n, np.int64)
    rid[np.argsort(fp.ts, kind="stable")] = ctx.ids("receipt", n)

    receipts = Frame.of(
        "pos",
        "receipts",
        {
            "receipt_id": rid,
            "store_id": store_ids[store],
            "receipt_time": fp.ts,
            "member_card_no": card,
            "phone": phone,
            "total_cny": total,
            "discount_cny": disc,
            "payment_method": dict_array(
                rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05]), cat.POS_PAY_METHODS
            ),
            "assistant_id": np.where(has_asst, asst, None),
        },
        day,
        local_offset_ms=offsets[store],
        duplicates=True,
        sql={"receipt_id": id_sql("R", 10)},
    )
    cl = ctx.catalog
    rlines = Frame.of(
        "pos",
        "receipt_lines",
        {
            "receipt_id": rid[lines.parent],
            "line_no": lines.line_no,
            "sku": cl.code[lines.sku],
            "category": dict_array(cl.cat[lines.sku], [c.name for c in cat.CATEGORIES]),
            "brand": cl.brand[lines.sku],
            "quantity": lines.qty,
            "unit_price_cny": lines.price,
            "discount_cny": line_disc,
        },
        day[lines.parent],
        local_offset_ms=offsets[store][lines.parent],
        sql={"receipt_id": id_sql("R", 10)},
    )

    frames = [
        receipts,
        rlines,
        _footfall(ctx, rng, store, day, fp.ts, offsets),
        _interactions(
            ctx, rng, store, fp.ts, has_asst, asst, card, phone, lines, offsets, store_ids
        ),
    ]
    truth = {
        "receipts": {
            "receipt_id": rid,
            "person_id": ps.person_id[fp.person],
            "store_id": store_ids[store],
            "receipt_time_ms": fp.ts,
            "total_cny": total,
            "identified_by": np.select(
                [by_card, by_phone, trap], ["card", "phone", "counter_phone"], "anonymous"
            ).astype(object),
        }
    }
    return Offline(frames, fp.person, fp.ts, total, member & (by_card | by_phone), rid, truth)


def _footfall(
    ctx: Ctx,
    rng: np.random.Generator,
    store: np.ndarray,
    day: np.ndarray,
    ts: np.ndarray,
    offsets: np.ndarray,
) -> Frame:
    """Two door sensors per store, one row per open hour; entries track receipts (~25% buy)."""
    n_st = len(ctx.stores)
    hours = cat.STORE_OPEN_HOURS
    local_hour = ((ts + offsets[store]) // cat.HOUR_MS) % 24
    valid = (day >= 0) & (day < ctx.days)
    cnt = np.zeros((n_st, ctx.days, 24))
    np.add.at(cnt, (store[valid], day[valid], local_hour[valid]), 1)
    s_i, d_i, h_i = np.meshgrid(np.arange(n_st), np.arange(ctx.days), hours, indexing="ij")
    s_i, d_i, h_i = s_i.ravel(), d_i.ravel(), h_i.ravel()
    prof = cat.HOUR_PROFILE_STORE[h_i] / cat.HOUR_PROFILE_STORE.max()
    base = min(1.0, len(ts) / (n_st * ctx.days * 20.0))  # window shoppers, scaled to volume
    lam = cnt[s_i, d_i, h_i] * 4 + 6 * base * prof * ctx.day_w[d_i]
    rows = []
    for sensor in (1, 2):
        share = 0.6 if sensor == 1 else 0.4
        entries = rng.poisson(lam * share)
        exits = np.maximum(entries + rng.integers(-2, 3, len(entries)), 0)
        rows.append((s_i, d_i, h_i, np.full(len(s_i), sensor), entries, exits))
    s_i, d_i, h_i, sen, ent, ext = (np.concatenate(x) for x in zip(*rows, strict=True))
    order = np.lexsort((sen, h_i, s_i, d_i))
    s_i, d_i, h_i, sen, ent, ext = (a[order] for a in (s_i, d_i, h_i, sen, ent, ext))
    local = ctx.t0 + cat.SHANGHAI_OFFSET_MS + d_i * cat.DAY_MS + h_i * cat.HOUR_MS
    hour_start = local - offsets[s_i]
    store_ids = np.array([s.store_id for s in ctx.stores], dtype=object)
    sensor_ids = np.array(
        [f"{s.store_id}-DOOR{k}" for s in ctx.stores for k in (1, 2)], dtype=object
    )
    return Frame.of(
        "pos",
        "footfall",
        {
            "store_id": dict_array(s_i, store_ids),
            "sensor_id": dict_array(s_i * 2 + sen - 1, sensor_ids),
            "hour_start": hour_start,
            "entries": ent,
            "exits": ext,
        },
        d_i,
        local_offset_ms=offsets[s_i],
    )


def _interactions(
    ctx: Ctx,
    rng: np.random.Generator,
    store,
    ts,
    has_asst,
    asst,
    card,
    phone,
    lines: Lines,
    offsets,
    store_ids,
) -> Frame:
    """Consults before assisted receipts (same card/phone) plus anonymous walk-in consults."""
    cl = ctx.catalog
    first_cat = cl.cat[lines.sku[lines.line_no == 1]]
    a = np.flatnonzero(has_asst & (rng.random(len(store)) < 0.6))
    t_a = ts[a] - rng.integers(5 * 60, 30 * 60, len(a)) * 1000
    kind_a = np.select(
        [
            np.isin(first_cat[a], [cat.CAT_INDEX["cosmetics"]]),
            np.isin(first_cat[a], [cat.CAT_INDEX["apparel"], cat.CAT_INDEX["running_gear"]]),
        ],
        [1, 2],
        0,
    )
    # Anonymous walk-in consults: about half as many as receipts.
    k = rng.poisson(
        0.5 * len(store) / (len(ctx.stores) * ctx.days) + 0.05, (len(ctx.stores), ctx.days)
    )
    w_store = np.repeat(np.repeat(np.arange(len(ctx.stores)), ctx.days), k.ravel())
    w_day = np.repeat(np.tile(np.arange(ctx.days), len(ctx.stores)), k.ravel())
    w_ts = ctx.instants(rng, w_day, cat.HOUR_PROFILE_STORE, offsets[w_store])
    w_asst = np.array(
        [
            f"{store_ids[s]}-A{x:02d}"
            for s, x in zip(
                w_store, rng.integers(1, ASSISTANTS_PER_STORE + 1, len(w_store)), strict=True
            )
        ],
        dtype=object,
    )
    st = np.concatenate([store[a], w_store])
    t = np.concatenate([t_a, w_ts])
    order = np.argsort(t, kind="stable")
    st, t = st[order], t[order]
    kind = np.concatenate([kind_a, rng.choice(3, len(w_store), p=[0.7, 0.2, 0.1])])[order]
    n = len(t)
    return Frame.of(
        "pos",
        "assistant_interactions",
        {
            "interaction_id": ctx.ids("interaction", n),
            "store_id": store_ids[st],
            "assistant_id": np.concatenate([asst[a], w_asst])[order],
            "interaction_time": t,
            "member_card_no": np.concatenate([card[a], np.full(len(w_store), None)])[order],
            "phone": np.concatenate([phone[a], np.full(len(w_store), None)])[order],
            "interaction_type": dict_array(kind, INTERACTION_TYPES),
            "duration_s": (rng.lognormal(5.5, 0.6, n)).astype(np.int64),
        },
        ctx.day_of(t + offsets[st] - cat.SHANGHAI_OFFSET_MS),
        local_offset_ms=offsets[st],
        sql={"interaction_id": id_sql("IA", 10)},
    )
