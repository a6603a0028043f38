"""Membership: member records (new + re-sent changes), points ledger and level changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as cat
from .context import Ctx
from .frame import Frame, group_sum, id_sql
from .persons import Persons

REGISTER_CHANNELS = ("app", "miniprogram", "official_site", "douyin", "store")


@dataclass
class Membership:
    frames: list[Frame]
    changed_emails: tuple[np.ndarray, np.ndarray]  # (person index, new e-mail)
    final_level: np.ndarray  # per person, -1 for non-members
    register_ms: np.ndarray  # per person, NULL_TS-like min for non-members


def build_membership(
    ctx: Ctx,
    ps: Persons,
    buy_person: np.ndarray,
    buy_ts: np.ndarray,
    buy_amount: np.ndarray,
    buy_ref: np.ndarray,
) -> Membership:
    """buy_*: member-attributable purchases (paid orders, identified receipts), ref = order id."""
    rng = ctx.rng("membership")
    mem = np.flatnonzero(ps.is_member)
    m = len(mem)
    pre = ps.member_pre[mem]  # registered before the window (drawn with the person)
    acq_ts = ctx.t0 + np.maximum(ps.acq_day[mem], 0) * cat.DAY_MS
    reg = np.where(
        pre,
        ctx.t0 - rng.integers(1, 3 * 365, m) * cat.DAY_MS,
        ctx.instants(
            rng,
            ctx.sample_days(
                rng, np.maximum(ps.acq_day[mem], 0), np.minimum(ps.churn_day[mem], ctx.days)
            ),
            cat.HOUR_PROFILE_ONLINE,
        ),
    )
    reg = np.where(pre, reg + rng.integers(0, 86_400, m) * 1000, np.maximum(reg, acq_ts))
    register_ms = np.full(ps.n, np.iinfo(np.int64).min)
    register_ms[mem] = reg
    store_reg = ps.home_store[mem] >= 0
    store_reg = store_reg & ((~ps.online[mem]) | (rng.random(m) < 0.4))
    plat = ps.platform[mem]
    chan = np.where(
        store_reg, 4, np.select([plat == 2, plat == 3, ps.acq_channel[mem] == 0], [1, 2, 3], 0)
    )
    store_ids = np.array([s.store_id for s in ctx.stores], dtype=object)
    region_code = np.array([r.code for r in ctx.regions], dtype=object)
    gender = np.where(ps.female[mem], "F", "M").astype(object)
    gender[rng.random(m) < 0.3] = None
    birth = np.datetime_as_string(ps.birth_date[mem]).astype(object)
    birth[rng.random(m) < 0.2] = None
    cols = {
        "member_id": ps.member_id[mem],
        "card_no": ps.card_no[mem],
        "user_id": ps.user_id[mem],
        "phone": ps.phone[mem],
        "email": ps.email[mem],
        "national_id": ps.national_id[mem],
        "gender": gender,
        "birth_date": birth,
        "register_time": reg,
        "register_channel": np.array(REGISTER_CHANNELS, dtype=object)[chan],
        "register_store_id": np.where(
            store_reg, store_ids[np.maximum(ps.home_store[mem], 0)], None
        ),
        "region": region_code[ps.region[mem]],
    }
    day = np.maximum(ctx.day_of(reg), 0)  # members from before the window: day-0 snapshot
    # Changed records, re-sent whole: a new e-mail, a filled-in gender or a move.
    ch = np.flatnonzero(rng.random(m) < 0.12)
    ch_day = ctx.sample_days(rng, day[ch] + 1, np.full(len(ch), ctx.days))
    ok = day[ch] + 1 < ctx.days
    ch, ch_day = ch[ok], ch_day[ok]
    what = rng.integers(0, 3, len(ch))
    new = {k: v[ch].copy() for k, v in cols.items()}
    new_email_person = mem[ch[what == 0]]
    new_emails = np.array(  # numbered by the person's index in the whole world
        [f"member{p + 1}.new@{cat.EMAIL_DOMAINS[p % 6]}" for p in new_email_person + ps.base],
        dtype=object,
    )
    new["email"][what == 0] = new_emails
    fill = what == 1
    new["gender"][fill] = np.where(ps.female[mem[ch[fill]]], "F", "M")
    move = what == 2
    new["region"][move] = region_code[rng.integers(0, len(ctx.regions), move.sum())]
    all_cols = {k: np.concatenate([cols[k], new[k]]) for k in cols}
    all_day = np.concatenate([day, ch_day])
    order = np.lexsort((all_cols["register_time"], all_day))
    members = Frame.of(
        "membership", "members", {k: v[order] for k, v in all_cols.items()}, all_day[order]
    )

    # Points: purchases after registration, some redeemed; bonuses; a year-end expiry.
    member_of = np.full(ps.n, -1)
    member_of[mem] = np.arange(m)
    bm = member_of[buy_person]
    keep = (bm >= 0) & (buy_ts >= register_ms[buy_person])
    bm, bts, bamt, bref = bm[keep], buy_ts[keep], buy_amount[keep], buy_ref[keep]
    pts = np.floor(bamt).astype(np.int64)
    red = rng.random(len(bm)) < 0.03
    e_m = [bm, bm[red]]
    e_ts = [bts + 60_000, bts[red] + 120_000]
    e_pts = [pts, -(pts[red] // 2)]
    e_reason = [np.zeros(len(bm), int), np.ones(red.sum(), int)]
    e_ref = [bref, bref[red]]
    new_reg = reg >= ctx.t0
    e_m.append(np.flatnonzero(new_reg))
    e_ts.append(reg[new_reg] + 5_000)
    e_pts.append(np.full(new_reg.sum(), 100))
    e_reason.append(np.full(new_reg.sum(), 3))
    e_ref.append(np.full(new_reg.sum(), None, dtype=object))
    # Birthday bonus on the birthday inside the window (09:00 local).
    bday = ps.birth_date[mem]
    years = np.arange(ctx.start.year, ctx.start.year + ctx.days // 365 + 2)
    for y in years:
        md = bday - bday.astype("datetime64[Y]")
        when = (np.datetime64(f"{y}-01-01") + md).astype("datetime64[D]")
        d = (when - np.datetime64(ctx.start)).astype(int)
        hit = (d >= 0) & (d < ctx.days) & (reg < ctx.t0 + d * cat.DAY_MS)
        e_m.append(np.flatnonzero(hit))
        e_ts.append(ctx.t0 + d[hit] * cat.DAY_MS + 9 * cat.HOUR_MS)
        e_pts.append(np.full(hit.sum(), 200))
        e_reason.append(np.full(hit.sum(), 3))
        e_ref.append(np.full(hit.sum(), None, dtype=object))
    em, ets, epts = np.concatenate(e_m), np.concatenate(e_ts), np.concatenate(e_pts)
    ereason, eref = np.concatenate(e_reason), np.concatenate(e_ref)
    for y in years[1:]:  # 10% of the balance earned in the window expires on 1 January
        d = (np.datetime64(f"{y}-01-01") - np.datetime64(ctx.start)).astype(int)
        if not 0 < d < ctx.days:
            continue
        cut = ctx.t0 + d * cat.DAY_MS
        bal = group_sum(em[ets < cut], epts[ets < cut], m)
        exp_m = np.flatnonzero((bal >= 10) & (rng.random(m) < 0.5))
        em = np.concatenate([em, exp_m])
        ets = np.concatenate([ets, np.full(len(exp_m), cut)])
        epts = np.concatenate([epts, -(bal[exp_m] // 10).astype(np.int64)])
        ereason = np.concatenate([ereason, np.full(len(exp_m), 2)])
        eref = np.concatenate([eref, np.full(len(exp_m), None, dtype=object)])
    inw = (ets >= ctx.t0) & (ets < ctx.t_end)
    em, ets, epts, ereason, eref = em[inw], ets[inw], epts[inw], ereason[inw], eref[inw]
    o = np.lexsort((em, ets))
    em, ets, epts, ereason, eref = em[o], ets[o], epts[o], ereason[o], eref[o]
    points = Frame.of(
        "membership",
        "points_ledger",
        {
            "entry_id": ctx.ids("points_entry", len(em)),
            "member_id": ps.member_id[mem][em],
            "points": epts,
            "reason": np.array(["purchase", "redeem", "expire", "bonus"], dtype=object)[ereason],
            "occurred_time": ets,
            "order_id": eref,
        },
        ctx.day_of(ets),
        sql={"entry_id": id_sql("PT", 10)},
    )

    # Levels: spend in the window lifts silver -> gold (5,000) -> diamond (20,000).
    start_level = np.where(pre, rng.choice(3, m, p=[0.8, 0.17, 0.03]), 0)
    pm, pts_ts, amt = bm, bts, bamt
    o = np.lexsort((pts_ts, pm))
    pm, pts_ts, amt = pm[o], pts_ts[o], amt[o]
    cum = np.cumsum(amt)
    grp_first = np.searchsorted(pm, pm)
    cum = cum - np.concatenate([[0.0], cum])[grp_first]
    c_m = [np.flatnonzero(new_reg)]
    c_from = [np.full(new_reg.sum(), -1)]
    c_to = [np.zeros(new_reg.sum(), int)]
    c_ts = [reg[new_reg] + 5_000]
    level = start_level.copy()
    for target in (1, 2):
        crossed = (cum >= cat.LEVEL_THRESHOLDS[target]) & (start_level[pm] < target)
        idx = np.flatnonzero(crossed)
        first_idx = idx[np.unique(pm[idx], return_index=True)[1]]
        who = pm[first_idx]
        c_m.append(who)
        c_from.append(np.full(len(who), target - 1))
        c_to.append(np.full(len(who), target))
        c_ts.append(pts_ts[first_idx] + 90_000)
        level[who] = target
    cm, cf, ct, cts = (np.concatenate(x) for x in (c_m, c_from, c_to, c_ts))
    o = np.lexsort((ct, cts))
    cm, cf, ct, cts = cm[o], cf[o], ct[o], cts[o]
    lv = np.array(cat.LEVELS + (None,), dtype=object)
    levels = Frame.of(
        "membership",
        "level_changes",
        {
            "change_id": ctx.ids("level_change", len(cm)),
            "member_id": ps.member_id[mem][cm],
            "from_level": lv[cf],
            "to_level": lv[ct],
            "changed_time": cts,
        },
        ctx.day_of(cts),
        sql={"change_id": id_sql("LC", 9)},
    )
    final_level = np.full(ps.n, -1)
    final_level[mem] = level
    return Membership(
        [members, points, levels], (new_email_person, new_emails), final_level, register_ms
    )
