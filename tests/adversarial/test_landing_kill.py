"""A landing process killed mid-run leaves every file all-or-nothing; the next run completes and
the result equals an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.lib.landing import land_source
from orchestration.lib.settings import PROJECT_ROOT

FILES, LINES = 24, 8000
HEADER = "order_id,user_id,order_time,status,items_amount_cny,pay_amount_cny"

LAND = """
import sys
from orchestration.lib.landing import loader
loader.TXN_LINES = 2 * {lines}  # commit every two files, so a kill lands between commits
loader.land_source(sys.argv[1], sys.argv[2], "shop")
"""


def make_inbox(inbox: Path) -> None:
    d = inbox / "shop" / "orders"
    d.mkdir(parents=True)
    for f in range(FILES):
        rows = [HEADER] + [f"o{f}_{i},u{i},t,paid,1,1" for i in range(LINES)]
        if f % 5 == 0:
            rows.append("broken line")
        (d / f"{f:03d}.csv").write_text("\n".join(rows) + "\n")


def snapshot(db: Path) -> dict[str, object]:
    with duckdb.connect(str(db), read_only=True) as conn:
        q = conn.execute
        return {
            "ledger": q(
                "SELECT path, lines, rows_landed, rows_rejected FROM raw._file_ledger ORDER BY 1"
            ).fetchall(),
            "rows": q(
                "SELECT count(*), count(DISTINCT (_file_sha256, _line_number)) FROM raw.shop_orders"
            ).fetchone(),
            "rejects": q("SELECT count(*) FROM raw._rejects").fetchone(),
            "deliveries": q("SELECT count(*) FROM raw._file_deliveries").fetchone(),
            "per_file": q(
                "SELECT _source_file, count(*) FROM raw.shop_orders GROUP BY 1 ORDER BY 1"
            ).fetchall(),
        }


def test_killed_run_then_rerun_equals_uninterrupted(tmp_path: Path):
    inbox = tmp_path / "inbox"
    make_inbox(inbox)
    reference = tmp_path / "reference.duckdb"
    land_source(reference, inbox, "shop")
    expected = snapshot(reference)

    db = tmp_path / "killed.duckdb"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    code = LAND.format(lines=LINES)
    for delay in (1.0, 2.0, 3.0):  # kill part-way; later delays cover slower machines
        proc = subprocess.Popen([sys.executable, "-c", code, str(db), str(inbox)], env=env)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if db.exists():
            partial = snapshot(db)
            landed = {p for p, *_ in partial["ledger"]}
            # all-or-nothing per file: every ledgered file has all its rows, no others have any
            assert {p for p, _ in partial["per_file"]} <= landed
            for path, lines, rows, rejects in partial["ledger"]:
                assert dict(partial["per_file"]).get(path, 0) == rows
                assert lines == rows + rejects
    land_source(db, inbox, "shop")
    assert snapshot(db) == expected
