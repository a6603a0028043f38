"""One generated world for every activation test, built through dbt three times: as of D1, as of
D2 = D1 + 1, and as of D2 again (the audience layer's history and idempotence need the three).

1,500 customers x 60 days, seed 11. Each build selects every activation mart and everything
upstream of them (the LTV marts included: the lookalike seed reads them).
The state after each build is read into plain rows; the warehouse stays for further queries.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START, SEED = 1500, 60, date(2026, 3, 1), 11
ACTIVATION_D1 = START + timedelta(days=DAYS - 3)
ACTIVATION_D2 = ACTIVATION_D1 + timedelta(days=1)
SELECT = "+path:models/marts/activation"
SNAPSHOT_TABLES = ("audience_snapshots", "audience_changes", "audience_versions")


def rows(db: Path, sql: str) -> list[dict]:
    """Short-lived read-only connection: dbt (another process) needs the file lock later."""
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def _build(proj: Path, db: Path, monkeypatch, as_of: date) -> None:
    monkeypatch.setenv("LAKEHOUSE_AS_OF_DATE", as_of.isoformat())
    build(proj, db, SELECT)


def _state(db: Path, as_of: date) -> dict:
    return {
        "as_of": as_of,
        "welcome": rows(db, "select * from marts.welcome_benefits"),
        "dim_customers": rows(db, "select * from marts.dim_customers"),
        "members": rows(db, "select * from marts.audience_members"),
        **{t: rows(db, f"select * from marts.{t}") for t in SNAPSHOT_TABLES},
    }


def build_activation_world(tmp: Path) -> dict:
    inbox, db, proj = landed_world(tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=SEED)
    with pytest.MonkeyPatch.context() as mp:
        _build(proj, db, mp, ACTIVATION_D1)
        first = _state(db, ACTIVATION_D1)
        _build(proj, db, mp, ACTIVATION_D2)
        second = _state(db, ACTIVATION_D2)
        _build(proj, db, mp, ACTIVATION_D2)
        rerun = _state(db, ACTIVATION_D2)
    return {
        "tmp": tmp,
        "inbox": inbox,
        "db": db,
        "proj": proj,
        "d1": first,
        "d2": second,
        "rerun": rerun,
    }
