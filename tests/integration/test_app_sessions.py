"""int_app_sessions, incremental: after every run it equals the sessions aggregated from scratch.

A throw-away copy of the staging project plus the model (as in test_staging.py) and hand-made
app events landed in four runs:
1. a first build: session dates in local time (Asia/Shanghai), platform, conversion, counts;
2. a new event in one session: only that session is rebuilt (a tampered value in another one
   survives, which proves the run did not rebuild everything);
3. an event re-delivered with another session id: its old session, not touched by the run,
   loses it. The counts no longer add up, so every session is rebuilt and the session left
   without events disappears;
4. nothing new: nothing changes and nothing is rebuilt.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import duckdb

from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.test_staging import _f, create_raw, make_project, run_dbt

MODEL_PATHS = ["models/intermediate/measurement", "macros/measurement", "macros/segmentation"]
REBUILT_ALL = "rebuilding every session"
SESSIONS = (
    "select session_id, started_at, session_date, platform, is_converted, event_count "
    "from intermediate.int_app_sessions"
)
# The reference: every session aggregated from the staged events (local date: UTC+8, no DST).
FROM_SCRATCH = """
    select session_id, min(event_at), cast(min(event_at) + interval 8 hour as date),
        min(platform), max(case when event_type = 'pay' then 1 else 0 end), count(*)
    from staging.stg_app__events where session_id is not null group by session_id
"""
T_A, T_B, T_C = (datetime(2026, 6, d, 6, 0, 0) for d in (19, 20, 21))


def event(event_id, session_id, event_type, local_time, platform, loaded_at):
    return {
        "event_id": event_id, "session_id": session_id, "event_type": event_type,
        "event_time": f"2026-06-18T{local_time}+08:00", "device_id": "d1", "platform": platform,
        **_f(f"events_{loaded_at:%d}.jsonl", loaded_at),
    }  # fmt: skip


def sessions(db) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0]: r[1:] for r in con.execute(SESSIONS).fetchall()}


def differences_from_scratch(db) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select count(*) from (({SESSIONS} except all {FROM_SCRATCH}) "
            f"union all ({FROM_SCRATCH} except all {SESSIONS}))"
        ).fetchone()[0]


def set_platform(db, session_id: str, platform: str) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update intermediate.int_app_sessions set platform = ? where session_id = ?",
            [platform, session_id],
        )


def build(proj, db) -> str:
    r = run_dbt(
        proj, db, "build", "--select", "stg_app__events", "int_app_sessions",
        "--indirect-selection", "cautious",
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-8000:]
    return r.stdout


def test_incremental_sessions_equal_sessions_from_scratch(tmp_path):
    proj = make_project(tmp_path)
    for rel in MODEL_PATHS:
        shutil.copytree(PROJECT_ROOT / "dbt_project" / rel, proj / rel, dirs_exist_ok=True)
    db = tmp_path / "warehouse.duckdb"

    create_raw(db, {"app/events": [
        event("e1", "S1", "view", "20:00:00", "ios", T_A),
        event("e2", "S1", "pay", "20:05:00", "android", T_A),
        event("e3", "S2", "view", "23:59:59", "ios", T_A),
        event("e4", "S3", "view", "21:00:00", "ios", T_A),
        event("e5", None, "view", "21:00:00", "ios", T_A),
    ]})  # fmt: skip
    out = build(proj, db)
    assert REBUILT_ALL not in out
    s1 = sessions(db)
    assert s1 == {
        "S1": (datetime(2026, 6, 18, 12, 0, 0), date(2026, 6, 18), "android", 1, 2),
        "S2": (datetime(2026, 6, 18, 15, 59, 59), date(2026, 6, 18), "ios", 0, 1),
        "S3": (datetime(2026, 6, 18, 13, 0, 0), date(2026, 6, 18), "ios", 0, 1),
    }
    assert differences_from_scratch(db) == 0

    # 2. One new event, in S3; S2 tampered with beforehand must be left alone.
    set_platform(db, "S2", "x")
    create_raw(db, {"app/events": [event("e6", "S3", "pay", "21:10:00", "ios", T_B)]})
    out = build(proj, db)
    assert REBUILT_ALL not in out
    s2 = sessions(db)
    assert s2["S3"] == (datetime(2026, 6, 18, 13, 0, 0), date(2026, 6, 18), "ios", 1, 2)
    assert s2["S2"][2] == "x", "an untouched session was rebuilt"
    set_platform(db, "S2", "ios")
    assert differences_from_scratch(db) == 0

    # 3. e3 re-delivered in S1: S2, which the run does not touch, is left without events.
    create_raw(db, {"app/events": [event("e3", "S1", "view", "23:59:59", "ios", T_C)]})
    out = build(proj, db)
    s3 = sessions(db)
    assert "S2" not in s3
    assert s3["S1"][3:] == (1, 3)
    assert differences_from_scratch(db) == 0
    assert REBUILT_ALL in out

    # 4. Nothing new landed (the model's watermark is the newest landing).
    out = build(proj, db)
    assert REBUILT_ALL not in out
    assert sessions(db) == s3
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute(
            "select processed_to from dbt_state.watermarks where model_name = 'int_app_sessions'"
        ).fetchall() == [(T_C,)]

    r = run_dbt(proj, db, "run", "--full-refresh", "--select", "int_app_sessions")
    assert r.returncode == 0, r.stdout[-8000:]
    assert sessions(db) == s3
