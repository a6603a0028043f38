"""A whole materialisation killed with SIGKILL at random points converges: the next run completes
and the warehouse equals an uninterrupted build.

`python -m orchestration.cli materialize` runs in its own session (process group) so the kill
takes its dbt child with it. One uninterrupted run (the reference) measures the duration D; the
killed warehouse is then hit at three seeded points spread over D (landing, early dbt, late dbt),
and run once more to completion. After every kill: no process of the group survives, the DuckDB
file opens read-write (no leftover lock, no corruption: the WAL of the killed writer is
replayed or discarded, never half-applied). After the completing run: no dbt-duckdb
`__dbt_tmp` / `__dbt_backup` relations are left behind, and every staging, intermediate and mart
table equals the reference (tests/integration/test_incremental_equivalence.compare_warehouses:
load timestamps and lineage excluded, customer ids compared canonically because the anchors
depend on when files landed, and a killed run may split landing over two runs).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil
import pytest

from orchestration.lib.settings import PROJECT_ROOT
from tests.conftest import TEST_PII_KEY
from tests.integration.test_incremental_equivalence import compare_warehouses

CUSTOMERS, DAYS, START, SEED = 150, 10, "2026-01-01", 3
KILL_SEED = 20260125
# Fractions of the measured duration (landing, early dbt, late dbt). A resumed run is shorter
# (its files are landed), so the last window stays well inside it.
KILL_WINDOWS = ((0.05, 0.2), (0.25, 0.4), (0.45, 0.6))


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LAKEHOUSE_") and k != "DAGSTER_HOME"
    }
    env.update(
        LAKEHOUSE_DATA_DIR=str(data_dir),
        LAKEHOUSE_PII_KEY=TEST_PII_KEY,
        LAKEHOUSE_DUCKDB_MEMORY_LIMIT="2GB",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def _start(data_dir: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "materialize", "--log-level", "WARNING"],
        cwd=PROJECT_ROOT,
        env=_env(data_dir),
        stdout=open(log, "ab"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _live_group_members(pgid: int) -> list[str]:
    alive = []
    for p in psutil.process_iter(["pid", "name", "status"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{p.pid}:{p.info['name']}")
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return alive


def _kill_group_after(proc: subprocess.Popen, seconds: float) -> bool:
    """SIGKILL the whole group after `seconds`; False when the run finished first."""
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        pass
    pgid = os.getpgid(proc.pid)
    children = [c.name() for c in psutil.Process(proc.pid).children(recursive=True)]
    os.killpg(pgid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _live_group_members(pgid) == [], f"survivors of the kill (children were {children})"
    return True


def _lock_holder(message: str) -> str:
    import re

    m = re.search(r"PID (\d+)", message)
    if not m:
        return "unknown holder"
    pid = int(m.group(1))
    if pid == os.getpid():
        return f"PID {pid} = this test process"
    try:
        p = psutil.Process(pid)
        return (
            f"PID {pid} status={p.status()} pgid={os.getpgid(pid)} ppid={p.ppid()} "
            f"cmd={' '.join(p.cmdline())[:200]}"
        )
    except (psutil.NoSuchProcess, ProcessLookupError):
        return f"PID {pid} (already gone)"


def _opens_cleanly(warehouse: Path, grace: float = 15.0) -> float:
    """Read-write open: fails if a killed writer (e.g. an orphaned dbt) still holds the lock.

    Returns how long the lock lingered (0 when free at once); a holder that is still there after
    `grace` seconds fails the test with who it is.
    """
    if not warehouse.exists():
        return 0.0
    started = time.monotonic()
    while True:
        try:
            with duckdb.connect(str(warehouse)) as conn:
                conn.execute("select count(*) from information_schema.tables").fetchone()
                assert conn.execute("pragma database_size").fetchall()
            return time.monotonic() - started
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = _lock_holder(str(exc))
            if time.monotonic() - started > grace:
                pytest.fail(f"DuckDB lock still held {grace:.0f}s after the kill: {holder}")
            print(f"\nlock held after kill by {holder}; retrying")
            time.sleep(0.5)


def _project_fingerprint() -> str:
    """Hash of the dbt project sources: the working tree is shared, and a model edited while this
    test runs would make the two builds differ for reasons unrelated to the kills."""
    import hashlib

    digest = hashlib.sha256()
    roots = [PROJECT_ROOT / "dbt_project" / d for d in ("models", "macros", "tests", "snapshots")]
    roots += [PROJECT_ROOT / "seeds", PROJECT_ROOT / "orchestration"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".sql", ".yml", ".csv", ".py"):
                digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def _leftover_swap_tables(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_name like '%__dbt_tmp%' or table_name like '%__dbt_backup%'"
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.slow
def test_killed_materialisations_converge_to_the_uninterrupted_build(tmp_path: Path):
    from orchestration.lib.generator import generate

    fingerprint = _project_fingerprint()
    ref_dir, killed_dir = tmp_path / "reference", tmp_path / "killed"
    for d in (ref_dir, killed_dir):
        generate(
            customers=CUSTOMERS,
            days=DAYS,
            start=START,
            seed=SEED,
            out=d / "inbox",
            dirt_rate=0.03,
            progress=False,
        )
    ref_db = ref_dir / "warehouse" / "lakehouse.duckdb"
    killed_db = killed_dir / "warehouse" / "lakehouse.duckdb"

    started = time.monotonic()
    ref = _start(ref_dir, tmp_path / "reference.log")
    assert ref.wait() == 0, (tmp_path / "reference.log").read_text()[-3000:]
    duration = time.monotonic() - started

    rng = random.Random(KILL_SEED)
    points = [round(rng.uniform(lo, hi) * duration, 1) for lo, hi in KILL_WINDOWS]
    killed_at, lingered = [], []
    for point in points:
        proc = _start(killed_dir, tmp_path / "killed.log")
        if _kill_group_after(proc, point):
            killed_at.append(point)
        lingered.append(round(_opens_cleanly(killed_db), 1))

    started = time.monotonic()
    final = _start(killed_dir, tmp_path / "killed.log")
    assert final.wait() == 0, (tmp_path / "killed.log").read_text()[-3000:]
    completing = time.monotonic() - started
    print(
        f"\nuninterrupted run {duration:.0f}s; SIGKILL at {killed_at} s; "
        f"completing run {completing:.0f}s; lock lingered after kills {lingered} s"
    )
    assert killed_at, "every run finished before its kill point"

    if _project_fingerprint() != fingerprint:
        pytest.skip("the dbt project or orchestration code changed while the test ran; rerun")
    assert _leftover_swap_tables(killed_db) == []
    assert _leftover_swap_tables(ref_db) == []
    problems = compare_warehouses(
        killed_db,
        ref_db,
        excluded_columns={
            "_loaded_at",
            "first_loaded_at",
            "_source_file",
            "_line_number",
            "anchor_identifier_key",
            "triggered_at",
            "changed_at",
            "recorded_at",
            "change_id",
        },
        excluded_tables=set(),
    )
    assert problems == {}, problems
