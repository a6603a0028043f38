"""Measurement feeds (issue 11): recommendation impressions and clicks, ad spend per channel,
NPS survey responses, and planted KPI anomalies, all with their truth.

* recs/impressions: the recommendation engine's daily report, one row per day x item x slot
  (home / product_page / checkout) x platform: impressions and clicks (every click, signed in or
  not). Only the engine's item pool (REC_POOL items, the same in every chunk) is recommended.
* recs/clicks: the click log of signed-in users (user_id), one row per click: every click that
  preceded a purchase of the item (CONV_CLICK_P of the online order lines of pool items, 0 to
  CONV_LAG_DAYS days before the order) plus BROWSE_LOG_P of the other clicks. The report's
  clicks of a cell are never fewer than the log's.
* ads/spend_daily: spend per paid acquisition channel and day (cost per acquisition x expected
  acquisitions x the demand curve x noise).
* survey/nps_responses: a 0-10 score after NPS_RESPONSE_P of the paid online orders.
* Planted anomalies (truth kpi_anomalies): one pool item's CTR collapses for 3 days; one
  channel's spend spikes for 2 days. Everything else follows the weekly rhythm (quiet days).

Impressions and spend are grids (day x item x slot x platform, day x channel): chunks of
customers add to the same cells (core sums them, like footfall)."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from . import catalog as cat
from .context import Ctx
from .frame import Frame, dict_array
from .online import Online
from .persons import Persons

REC_SLOTS = ("home", "product_page", "checkout")
SLOT_IMPRESSIONS = np.array([12.0, 6.0, 2.0])  # per active online customer per day
SLOT_CTR = np.array([0.03, 0.06, 0.045])
REC_POOL = 12
CONV_CLICK_P = 0.5
CONV_LAG_DAYS = 14  # click-to-order lag uniform in [0, 14) days: some fall outside a 7-day window
BROWSE_LOG_P = 0.03
AD_CHANNELS = ("douyin", "wechat_mp", "official_site", "app_store")  # offline: no ad spend
CAC_CNY = np.array([60.0, 45.0, 30.0, 80.0])
NPS_RESPONSE_P = 0.25
# Score 0..10 probabilities: about 45 % promoters (9-10), 20 % detractors (0-6): NPS ~ +25.
NPS_P = np.array([0.01, 0.01, 0.01, 0.02, 0.02, 0.05, 0.08, 0.15, 0.20, 0.22, 0.23])
# Planted anomalies: (kpi, dimension, days, factor). Placed only when the window has at least
# MIN_HISTORY_DAYS of history before them (a seasonal baseline needs previous weeks).
CTR_COLLAPSE = ("ctr", "item", 3, 0.1)
SPEND_SPIKE = ("ad_spend_cny", "channel", 2, 4.0)
MIN_HISTORY_DAYS = 35


@dataclass
class Measurement:
    frames: dict[str, Frame]
    truth: dict[str, pa.Table]


@dataclass
class Plan:
    """What is the same in every chunk: the item pool, true CTRs and the planted anomalies."""

    pool: np.ndarray  # catalog sku index per pool item
    share: np.ndarray  # share of impressions per pool item
    ctr: np.ndarray  # [item, slot] true CTR
    ctr_factor: np.ndarray  # [item, day] multiplier (anomaly)
    spend_factor: np.ndarray  # [channel, day] multiplier (anomaly)
    anomalies: list[tuple[str, str, str, int, int, float]]  # kpi, dim, value, first, last, factor


def _world_rng(ctx: Ctx, stage: str) -> np.random.Generator:
    """A stream that ignores the chunk: the plan must be the same in every chunk."""
    return np.random.default_rng(np.random.SeedSequence([ctx.seed, zlib.crc32(stage.encode())]))


def plan(ctx: Ctx) -> Plan:
    rng = _world_rng(ctx, "measurement:plan")
    pool = np.sort(rng.choice(len(ctx.catalog.code), REC_POOL, replace=False, p=_popularity(ctx)))
    share = rng.dirichlet(np.full(REC_POOL, 8.0))
    ctr = SLOT_CTR[None, :] * np.clip(rng.lognormal(0, 0.25, (REC_POOL, 1)), 0.5, 2.0)
    ctr_factor = np.ones((REC_POOL, ctx.days))
    spend_factor = np.ones((len(AD_CHANNELS), ctx.days))
    anomalies = []
    if ctx.days >= MIN_HISTORY_DAYS + 8:
        # Two non-overlapping windows in the second part of the period.
        a = int(rng.integers(MIN_HISTORY_DAYS, ctx.days - 3))
        b = a
        while abs(b - a) < 5:
            b = int(rng.integers(MIN_HISTORY_DAYS, ctx.days - 2))
        item = int(rng.integers(REC_POOL))
        kpi, dim, n, f = CTR_COLLAPSE
        ctr_factor[item, a : a + n] = f
        anomalies.append((kpi, dim, ctx.catalog.code[pool[item]], a, a + n - 1, f))
        ch = int(rng.integers(len(AD_CHANNELS)))
        kpi, dim, n, f = SPEND_SPIKE
        spend_factor[ch, b : b + n] = f
        anomalies.append((kpi, dim, AD_CHANNELS[ch], b, b + n - 1, f))
    return Plan(pool, share, ctr, ctr_factor, spend_factor, anomalies)


def _popularity(ctx: Ctx) -> np.ndarray:
    """Rough purchase share per SKU (category weight / brands x a bell over the price rank):
    the engine recommends what sells."""
    cl = ctx.catalog
    cw = np.array([(c.weight_f + c.weight_m) / 2 for c in cat.CATEGORIES])[cl.cat]
    rank = np.arange(len(cl.code)) % cat.SKUS_PER_BRAND
    w = cw / cl.n_brands[cl.cat] * np.exp(-0.5 * ((rank - (cat.SKUS_PER_BRAND - 1) / 2) / 2.5) ** 2)
    return w / w.sum()


def _active_online(ctx: Ctx, ps: Persons) -> np.ndarray:
    """[platform, day] online customers between acquisition and 20 days after churn."""
    lo = np.clip(ps.acq_day, 0, ctx.days)
    hi = np.clip(np.minimum(ps.churn_day + 20, ctx.days), 0, ctx.days)
    on = ps.online & (hi > lo)
    diff = np.zeros((len(cat.PLATFORMS), ctx.days + 1))
    np.add.at(diff, (ps.platform[on], lo[on]), 1.0)
    np.add.at(diff, (ps.platform[on], hi[on]), -1.0)
    return np.cumsum(diff, axis=1)[:, : ctx.days]


def build_measurement(ctx: Ctx, ps: Persons, on: Online) -> Measurement:
    p = plan(ctx)
    rng = ctx.rng("measurement")
    frames, truth = {}, {}
    _recs(ctx, rng, ps, on, p, frames, truth)
    _spend(ctx, rng, ps, p, frames, truth)
    _nps(ctx, rng, ps, on, frames, truth)
    return Measurement(frames, truth)


def _recs(ctx, rng, ps, on, p: Plan, frames, truth) -> None:
    n_i, n_s, n_p, n_d = REC_POOL, len(REC_SLOTS), len(cat.PLATFORMS), ctx.days
    act = _active_online(ctx, ps)
    lam = (
        p.share[:, None, None, None]
        * SLOT_IMPRESSIONS[None, :, None, None]
        * act[None, None, :, :]
        * ctx.day_w[None, None, None, :]
    )
    imps = rng.poisson(lam)
    ctr_eff = p.ctr[:, :, None, None] * p.ctr_factor[:, None, None, :]
    browse = rng.binomial(imps, np.broadcast_to(ctr_eff, imps.shape))

    # Clicks before purchases: online paid order lines of pool items.
    o = on.orders
    pos = np.full(len(ctx.catalog.code), -1)
    pos[p.pool] = np.arange(n_i)
    ln = o.lines
    item = pos[ln.sku]
    order = ln.parent
    pick = (item >= 0) & o.paid[order] & (rng.random(len(order)) < CONV_CLICK_P)
    item, order = item[pick], order[pick]
    lag = (rng.random(len(order)) * CONV_LAG_DAYS * cat.DAY_MS).astype(np.int64)
    c_ts = o.ts[order] - lag - rng.integers(60, 1800, len(order)) * 1000
    c_day = ctx.day_of(c_ts)
    keep = c_day >= 0
    factor = p.ctr_factor[item, np.clip(c_day, 0, n_d - 1)]
    keep &= rng.random(len(order)) < factor  # the collapse also thins converting clicks
    item, order, c_ts, c_day = item[keep], order[keep], c_ts[keep], c_day[keep]
    c_person = o.person[order]
    c_dev = o.device[order]
    c_plat = ps.dev_platform[c_dev]
    c_slot = rng.choice(n_s, len(order), p=[0.5, 0.35, 0.15])
    conv = np.zeros_like(imps)
    np.add.at(conv, (item, c_slot, c_plat, c_day), 1)
    imps = imps + conv
    clicks = browse + conv

    # Logged browse clicks: signed-in customers of that platform.
    logged = rng.binomial(browse, BROWSE_LOG_P)
    cells = np.repeat(np.arange(logged.size), logged.ravel())
    b_item, b_slot, b_plat, b_day = np.unravel_index(cells, logged.shape)
    b_person = np.full(len(cells), -1)
    signed = ps.online & (ps.user_id != None)  # noqa: E711
    for k in range(n_p):
        who = np.flatnonzero(signed & (ps.platform == k))
        m = b_plat == k
        if len(who):
            b_person[m] = who[rng.integers(0, len(who), int(m.sum()))]
    ok = b_person >= 0
    b_item, b_slot, b_plat, b_day, b_person = (
        x[ok] for x in (b_item, b_slot, b_plat, b_day, b_person)
    )
    b_ts = ctx.instants(rng, b_day, cat.HOUR_PROFILE_ONLINE)
    b_dev = ps.dev_first[b_person]

    k_item = np.concatenate([item, b_item])
    k_slot = np.concatenate([c_slot, b_slot])
    k_plat = np.concatenate([c_plat, b_plat])
    k_ts = np.concatenate([c_ts, b_ts])
    k_person = np.concatenate([c_person, b_person])
    k_dev = np.concatenate([c_dev, b_dev])
    is_conv = np.r_[np.ones(len(item), bool), np.zeros(len(b_item), bool)]
    order_ts = np.argsort(k_ts, kind="stable")
    kid = np.empty(len(k_ts), np.int64)
    kid[order_ts] = ctx.ids("rec_click", len(k_ts))
    click_id = np.array([f"K{i:010d}" for i in kid], dtype=object)
    sku = ctx.catalog.code[p.pool]
    frames["recs/clicks"] = Frame.of(
        "recs",
        "clicks",
        {
            "click_id": click_id,
            "click_time": k_ts,
            "user_id": ps.user_id[k_person],
            "device_id": ps.dev_id[k_dev],
            "sku": dict_array(k_item, sku),
            "slot": dict_array(k_slot, REC_SLOTS),
            "platform": dict_array(k_plat, cat.PLATFORMS),
        },
        ctx.day_of(k_ts),
        duplicates=True,
    )
    truth["rec_clicks"] = pa.table(
        {
            "click_id": pa.array(click_id, pa.string()),
            "person_id": pa.array(ps.person_id[k_person], pa.string()),
            "sku": pa.array(sku[k_item], pa.string()),
            "slot": pa.array(np.array(REC_SLOTS, dtype=object)[k_slot], pa.string()),
            "click_time_ms": pa.array(k_ts),
            "is_before_purchase": pa.array(is_conv),
        }
    )
    gi, gs, gp, gd = (x.ravel() for x in np.indices(imps.shape))
    dates = np.datetime_as_string(np.datetime64(ctx.start) + gd.astype("timedelta64[D]"))
    frames["recs/impressions"] = Frame.of(
        "recs",
        "impressions",
        {
            "impression_date": dates.astype(object),
            "sku": dict_array(gi, sku),
            "slot": dict_array(gs, REC_SLOTS),
            "platform": dict_array(gp, cat.PLATFORMS),
            "impressions": imps.ravel().astype(np.int64),
            "clicks": clicks.ravel().astype(np.int64),
        },
        gd,
    )
    truth["rec_impressions"] = pa.table(
        {
            "impression_date": pa.array(dates.astype("datetime64[D]")),
            "sku": pa.array(sku[gi], pa.string()),
            "slot": pa.array(np.array(REC_SLOTS, dtype=object)[gs], pa.string()),
            "platform": pa.array(np.array(cat.PLATFORMS, dtype=object)[gp], pa.string()),
            "impressions": pa.array(imps.ravel().astype(np.int64)),
            "clicks": pa.array(clicks.ravel().astype(np.int64)),
            "true_ctr": pa.array(np.broadcast_to(ctr_eff, imps.shape).ravel()),
        }
    )


def _spend(ctx, rng, ps, p: Plan, frames, truth) -> None:
    n_c, n_d = len(AD_CHANNELS), ctx.days
    acquired = (ps.acq_day >= 0) & (ps.acq_day < n_d)
    per_day = np.array(
        [np.sum(acquired & (ps.acq_channel == cat.ACQ_CHANNELS.index(c))) for c in AD_CHANNELS]
    ) / max(n_d, 1)
    w = ctx.day_w / ctx.day_w.mean()
    spend = CAC_CNY[:, None] * per_day[:, None] * w[None, :] * rng.lognormal(0, 0.08, (n_c, n_d))
    spend = np.round(spend * p.spend_factor, 2)
    gc, gd = (x.ravel() for x in np.indices(spend.shape))
    dates = np.datetime_as_string(np.datetime64(ctx.start) + gd.astype("timedelta64[D]"))
    frames["ads/spend_daily"] = Frame.of(
        "ads",
        "spend_daily",
        {
            "spend_date": dates.astype(object),
            "channel": dict_array(gc, AD_CHANNELS),
            "spend_cny": spend.ravel(),
        },
        gd,
    )
    truth["ad_spend"] = pa.table(
        {
            "spend_date": pa.array(dates.astype("datetime64[D]")),
            "channel": pa.array(np.array(AD_CHANNELS, dtype=object)[gc], pa.string()),
            "spend_cny": pa.array(spend.ravel()),
        }
    )


def _nps(ctx, rng, ps, on: Online, frames, truth) -> None:
    o = on.orders
    paid = np.flatnonzero(o.paid & (rng.random(len(o.paid)) < NPS_RESPONSE_P))
    ts = o.ts[paid] + rng.integers(1, 5 * 24, len(paid)) * cat.HOUR_MS
    keep = ts < ctx.t_end
    paid, ts = paid[keep], ts[keep]
    person = o.person[paid]
    score = rng.choice(11, len(paid), p=NPS_P)
    ids = np.empty(len(ts), np.int64)
    ids[np.argsort(ts, kind="stable")] = ctx.ids("nps_response", len(ts))
    rid = np.array([f"N{i:09d}" for i in ids], dtype=object)
    plat = ps.dev_platform[o.device[paid]]
    frames["survey/nps_responses"] = Frame.of(
        "survey",
        "nps_responses",
        {
            "response_id": rid,
            "user_id": ps.user_id[person],
            "platform": dict_array(plat, cat.PLATFORMS),
            "score": score.astype(np.int64),
            "response_time": ts,
        },
        ctx.day_of(ts),
        duplicates=True,
    )
    truth["nps_responses"] = pa.table(
        {
            "response_id": pa.array(rid, pa.string()),
            "person_id": pa.array(ps.person_id[person], pa.string()),
            "score": pa.array(score.astype(np.int64)),
            "response_time_ms": pa.array(ts),
        }
    )


def add_grid(total: Frame, more: Frame) -> Frame:
    """Impressions and spend are grids: chunks add to the same cells."""
    for c in ("impressions", "clicks", "spend_cny"):
        if c in total.cols:
            total.cols[c] = total.cols[c] + more.cols[c]
    if "spend_cny" in total.cols:
        total.cols["spend_cny"] = np.round(total.cols["spend_cny"], 2)
    return total


# Entities whose chunks are summed cell by cell before writing.
SUMMED = {"recs/impressions": add_grid, "ads/spend_daily": add_grid}


def write_truth(con: duckdb.DuckDBPyConnection, m: Measurement, t: Path) -> None:
    t.mkdir(parents=True, exist_ok=True)
    for name, table in m.truth.items():
        con.register("measurement_t", table)
        try:
            path = t / f"{name}.parquet"
            con.execute(f"COPY (SELECT * FROM measurement_t) TO '{path}' (FORMAT parquet)")
        finally:
            con.unregister("measurement_t")


def write_world_truth(con: duckdb.DuckDBPyConnection, ctx: Ctx, t: Path) -> None:
    """kpi_anomalies.parquet (the planted anomalies) and rec_items.parquet (true CTRs)."""
    p = plan(ctx)
    start = ctx.start
    an = p.anomalies
    day = lambda i: start + dt.timedelta(days=int(i))  # noqa: E731
    tables = {
        "kpi_anomalies": pa.table(
            {
                "kpi": pa.array([a[0] for a in an], pa.string()),
                "dimension": pa.array([a[1] for a in an], pa.string()),
                "dimension_value": pa.array([a[2] for a in an], pa.string()),
                "first_date": pa.array([day(a[3]) for a in an], pa.date32()),
                "last_date": pa.array([day(a[4]) for a in an], pa.date32()),
                "factor": pa.array([a[5] for a in an], pa.float64()),
            }
        ),
        "rec_items": pa.table(
            {
                "sku": pa.array(ctx.catalog.code[p.pool], pa.string()),
                "impression_share": pa.array(p.share),
                **{f"true_ctr_{s}": pa.array(p.ctr[:, k]) for k, s in enumerate(REC_SLOTS)},
            }
        ),
    }
    write_truth(con, Measurement({}, tables), t)
