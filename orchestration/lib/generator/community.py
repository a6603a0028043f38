"""Private domain: WeChat community groups (members, daily message counts) and live-stream
sessions with their attendance.

Groups and sessions belong to the world, not to a customer chunk: they are drawn from the
chunk-0 random streams (the same in every chunk) and written by chunk 0 only; members and
attendance are drawn per chunk from that chunk's persons.

Planted truth (for tests): each group's activity tier and mean messages per day, and each
person's live-stream preference: the category they like most (their top category affinity) and
the time slot they watch at (mothers 20:00, students 15:00, everyone else one of 12/15/20:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from . import catalog as cat
from .context import Ctx
from .frame import Frame, dict_array, id_sql
from .persons import Persons

THEMES = ("mothers", "students", "makeup", "gadgets", "running")
THEME_NAMES = ("宝妈交流群", "学生党福利群", "美妆种草群", "数码发烧友群", "跑步打卡群")
THEME_WEIGHTS = (0.3, 0.2, 0.2, 0.15, 0.15)
TIERS = ("active", "regular", "silent")
TIER_WEIGHTS = (0.25, 0.45, 0.30)
# Mean messages per day of a group, by planted tier: far enough from the 5 and 50 cut-offs that a
# 28-day average of Poisson counts lands on the right side.
TIER_MEAN_RANGE = ((65.0, 180.0), (10.0, 38.0), (0.3, 3.2))
CUSTOMERS_PER_GROUP = 30
MIN_GROUPS = 2 * len(THEMES)
JOIN_PROB = 0.6
STRAY_JOIN_PROB = 0.02  # anyone online may sit in a group of another theme (noise)

LIVE_SLOT_HOURS = (12, 15, 20)  # local start hours of live sessions
OTHER_SLOT_PROBS = (0.3, 0.3, 0.4)
SESSION_PROB = 0.3  # per day and slot
LOOKAHEAD_DAYS = 14  # sessions are scheduled up to two weeks past the last day
ANNOUNCE_DAYS = 7  # a session's schedule row is delivered a week before it starts
LIVE_CATEGORIES = ("cosmetics", "electronics", "baby_diapers", "infant_formula", "running_gear")
LIVE_CATEGORY_WEIGHTS = (0.3, 0.25, 0.2, 0.1, 0.15)
LIVE_TITLES = {
    "cosmetics": "口红新色试色直播 / Lipstick live",
    "electronics": "新机发布直播 / Phone launch live",
    "baby_diapers": "纸尿裤囤货直播 / Diaper stock-up live",
    "infant_formula": "奶粉专场直播 / Formula live",
    "running_gear": "跑鞋测评直播 / Running shoes live",
}
HOSTS = ("host_amy", "host_leo", "host_mia", "host_zoe")
ATTEND_PROB = 0.3  # a person whose category and slot both match the session
STRAY_ATTEND_PROB = 0.003  # anyone else online


@dataclass
class Community:
    frames: list[Frame]
    truth: dict[str, pa.Table]


def _world_rng(ctx: Ctx, stage: str) -> np.random.Generator:
    return ctx.for_chunk(0).rng(stage)


def person_preferences(ctx: Ctx, ps: Persons) -> tuple[np.ndarray, np.ndarray]:
    """True live category (index into CATEGORIES) and slot hour of every person."""
    rng = ctx.rng("live_preferences")
    other = np.array(LIVE_SLOT_HOURS)[rng.choice(len(LIVE_SLOT_HOURS), ps.n, p=OTHER_SLOT_PROBS)]
    mother = ps.female & ps.has_baby
    student = ps.age <= 22
    slot = np.where(mother, 20, np.where(student, 15, other))
    return ps.affinity.argmax(axis=1), slot


def _theme_eligible(ps: Persons) -> np.ndarray:
    a, ci = ps.affinity, cat.CAT_INDEX
    return np.stack(
        [
            ps.female & ps.has_baby,
            ps.age <= 22,
            a[:, ci["cosmetics"]] > 0.25,
            a[:, ci["electronics"]] > 0.25,
            a[:, ci["running_gear"]] > 0.25,
        ],
        axis=1,
    )


def build_community(ctx: Ctx, ps: Persons) -> Community:
    days = ctx.days
    world = ctx.chunk == 0
    # Groups (world).
    grng = _world_rng(ctx, "community_groups")
    n_groups = max(MIN_GROUPS, ctx.customers // CUSTOMERS_PER_GROUP)
    theme = grng.choice(len(THEMES), n_groups, p=THEME_WEIGHTS)
    theme[: len(THEMES)] = np.arange(len(THEMES))  # every theme has a group
    tier = grng.choice(len(TIERS), n_groups, p=TIER_WEIGHTS)
    lo = np.array([r[0] for r in TIER_MEAN_RANGE])[tier]
    hi = np.array([r[1] for r in TIER_MEAN_RANGE])[tier]
    mean = np.round(grng.uniform(lo, hi), 3)
    before = grng.random(n_groups) < 0.7
    late_cap = max(1, days - 28)  # groups created in the window have four weeks of history
    created_day = np.where(
        before, -grng.integers(30, 600, n_groups), grng.integers(0, late_cap, n_groups)
    )
    created_ts = ctx.t0 + created_day * cat.DAY_MS + grng.integers(9, 22, n_groups) * cat.HOUR_MS
    gid = np.arange(1, n_groups + 1, dtype=np.int64)
    seq_in_theme = np.zeros(n_groups, dtype=np.int64)
    for t in range(len(THEMES)):
        m = theme == t
        seq_in_theme[m] = np.arange(1, int(m.sum()) + 1)
    names = np.array(
        [f"{THEME_NAMES[t]}{k}" for t, k in zip(theme, seq_in_theme, strict=True)], dtype=object
    )
    g_rows = np.arange(n_groups) if world else np.arange(0)
    groups = Frame.of(
        "community",
        "groups",
        {
            "group_id": gid[g_rows],
            "group_name": names[g_rows],
            "theme": dict_array(theme[g_rows], THEMES),
            "created_time": created_ts[g_rows],
        },
        np.clip(created_day[g_rows], 0, days - 1),
        late=False,
        sql={"group_id": id_sql("G", 5)},
    )

    # Daily message counts (world): one row per group and day from its creation, zeros included.
    first = np.clip(created_day, 0, days)
    n_days = days - first
    if not world:
        n_days = np.zeros_like(n_days)
    g = np.repeat(np.arange(n_groups), n_days)
    d = first[g] + (np.arange(len(g)) - np.repeat(np.cumsum(n_days) - n_days, n_days))
    day_noise = _world_rng(ctx, "community_messages").gamma(20.0, 1 / 20.0, len(g))
    count = _world_rng(ctx, "community_messages_counts").poisson(mean[g] * day_noise)
    day_names = np.datetime_as_string(
        np.datetime64(ctx.start) + np.arange(days).astype("timedelta64[D]")
    )
    messages = Frame.of(
        "community",
        "group_messages_daily",
        {
            "group_id": gid[g],
            "message_date": dict_array(d, day_names),
            "message_count": count.astype(np.int64),
        },
        np.minimum(d + 1, days - 1),  # yesterday's counts arrive the next morning
        duplicates=True,
        sql={"group_id": id_sql("G", 5)},
    )

    # Members (this chunk's persons).
    mrng = ctx.rng("community_members")
    online = np.array([u is not None for u in ps.user_id], dtype=bool)
    elig = _theme_eligible(ps) & online[:, None] & (mrng.random((ps.n, len(THEMES))) < JOIN_PROB)
    person, th = np.nonzero(elig)
    stray = np.flatnonzero(online & (mrng.random(ps.n) < STRAY_JOIN_PROB))
    person = np.concatenate([person, stray])
    th = np.concatenate([th, mrng.integers(0, len(THEMES), len(stray))])
    by_theme = [np.flatnonzero(theme == t) for t in range(len(THEMES))]
    pick = mrng.random(len(person))
    grp = np.empty(len(person), dtype=np.int64)
    for t in range(len(THEMES)):
        m = th == t
        grp[m] = by_theme[t][(pick[m] * len(by_theme[t])).astype(np.int64)]
    pair = np.unique(person * n_groups + grp)  # one membership per person and group
    person, grp = pair // n_groups, pair % n_groups
    join_day = np.maximum(created_day[grp], ps.acq_day[person]) + mrng.integers(0, 60, len(person))
    join_day = np.minimum(join_day, days - 1)
    join_ts = (
        ctx.t0 + join_day * cat.DAY_MS + mrng.integers(8 * 3600, 23 * 3600, len(person)) * 1000
    )
    o = np.lexsort((person, join_ts))
    person, grp, join_day, join_ts = person[o], grp[o], join_day[o], join_ts[o]
    members = Frame.of(
        "community",
        "group_members",
        {
            "group_id": gid[grp],
            "user_id": ps.user_id[person],
            "openid": ps.openid[person],
            "joined_time": join_ts,
        },
        np.clip(join_day, 0, days - 1),
        duplicates=True,
        sql={"group_id": id_sql("G", 5)},
    )

    # Live sessions (world), scheduled up to LOOKAHEAD_DAYS past the last day.
    srng = _world_rng(ctx, "live_sessions")
    horizon = days + LOOKAHEAD_DAYS
    on = srng.random((horizon, len(LIVE_SLOT_HOURS))) < SESSION_PROB
    s_day, s_slot = np.nonzero(on)
    n_s = len(s_day)
    s_cat = srng.choice(len(LIVE_CATEGORIES), n_s, p=LIVE_CATEGORY_WEIGHTS)
    s_hour = np.array(LIVE_SLOT_HOURS)[s_slot]
    s_start = ctx.t0 + s_day * cat.DAY_MS + s_hour * cat.HOUR_MS
    s_minutes = srng.choice([60, 90, 120], n_s)
    s_host = srng.choice(len(HOSTS), n_s)
    sid = np.arange(1, n_s + 1, dtype=np.int64)
    s_rows = np.arange(n_s) if world else np.arange(0)
    cat_names = np.array(LIVE_CATEGORIES, dtype=object)
    sessions = Frame.of(
        "live",
        "sessions",
        {
            "session_id": sid[s_rows],
            "title": np.array([LIVE_TITLES[c] for c in cat_names[s_cat]], dtype=object)[s_rows],
            "category": cat_names[s_cat][s_rows],
            "host": np.array(HOSTS, dtype=object)[s_host][s_rows],
            "start_time": s_start[s_rows],
            "planned_minutes": s_minutes[s_rows],
        },
        np.clip(s_day[s_rows] - ANNOUNCE_DAYS, 0, days - 1),
        late=False,
        sql={"session_id": id_sql("L", 6)},
    )

    # Attendance (this chunk's persons) of the sessions that started inside the window.
    arng = ctx.rng("live_attendance")
    true_cat, true_slot = person_preferences(ctx, ps)
    cat_of_session = np.array([cat.CAT_INDEX[c] for c in LIVE_CATEGORIES])[s_cat]
    a_person, a_session = [], []
    for s in np.flatnonzero(s_day < days):
        alive = online & (ps.acq_day <= s_day[s]) & (ps.churn_day > s_day[s])
        match = alive & (true_cat == cat_of_session[s]) & (true_slot == s_hour[s])
        p = np.where(match, ATTEND_PROB, np.where(alive, STRAY_ATTEND_PROB, 0.0))
        who = np.flatnonzero(arng.random(ps.n) < p)
        a_person.append(who)
        a_session.append(np.full(len(who), s))
    a_person = np.concatenate(a_person) if a_person else np.zeros(0, np.int64)
    a_session = np.concatenate(a_session) if a_session else np.zeros(0, np.int64)
    matched = (true_cat[a_person] == cat_of_session[a_session]) & (
        true_slot[a_person] == s_hour[a_session]
    )
    length_s = s_minutes[a_session] * 60
    watch = np.where(
        matched, arng.exponential(1800.0, len(a_person)), arng.exponential(240.0, len(a_person))
    )
    watch = np.clip(watch, 10, length_s).astype(np.int64)
    a_join = s_start[a_session] + (arng.random(len(a_person)) * 0.5 * (length_s - watch) * 1000)
    a_join = a_join.astype(np.int64)
    o = np.lexsort((a_person, a_join))
    a_person, a_session, watch, a_join = a_person[o], a_session[o], watch[o], a_join[o]
    attendance = Frame.of(
        "live",
        "attendance",
        {
            "session_id": sid[a_session],
            "user_id": ps.user_id[a_person],
            "openid": ps.openid[a_person],
            "joined_time": a_join,
            "watch_seconds": watch,
        },
        np.clip(s_day[a_session], 0, days - 1),
        duplicates=True,
        sql={"session_id": id_sql("L", 6)},
    )

    gid_s = np.array([f"G{i:05d}" for i in gid], dtype=object)
    truth = {
        "community_groups": pa.table(
            {
                "group_id": pa.array(gid_s[g_rows], pa.string()),
                "theme": pa.array(np.array(THEMES, dtype=object)[theme][g_rows], pa.string()),
                "true_tier": pa.array(np.array(TIERS, dtype=object)[tier][g_rows], pa.string()),
                "true_mean_messages_per_day": pa.array(mean[g_rows]),
                "created_date": pa.array(
                    np.datetime64(ctx.start) + created_day[g_rows].astype("timedelta64[D]")
                ),
            }
        ),
        "community_members": pa.table(
            {
                "group_id": pa.array(gid_s[grp], pa.string()),
                "person_id": pa.array(ps.person_id[person], pa.string()),
            }
        ),
        "live_preferences": pa.table(
            {
                "person_id": pa.array(ps.person_id, pa.string()),
                "user_id": pa.array(ps.user_id, pa.string()),
                "true_live_category": pa.array(
                    np.array([c.name for c in cat.CATEGORIES], dtype=object)[true_cat], pa.string()
                ),
                "true_live_slot_hour": pa.array(true_slot.astype(np.int32)),
            }
        ),
    }
    return Community([groups, members, messages, sessions, attendance], truth)


def write_community_truth(
    con: duckdb.DuckDBPyConnection, truth: dict[str, pa.Table], t: Path
) -> None:
    """community_groups / community_members / live_preferences.parquet into truth folder t."""
    t.mkdir(parents=True, exist_ok=True)
    for name, table in truth.items():
        con.register("community_truth_t", table)
        try:
            con.execute(
                f"COPY (SELECT * FROM community_truth_t) TO '{t / name}.parquet' (FORMAT parquet)"
            )
        finally:
            con.unregister("community_truth_t")
