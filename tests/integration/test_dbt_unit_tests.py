"""Every dbt unit test (YAML `unit_tests:` beside the models) passes.

Production builds exclude unit tests (they check logic on fixtures, not data); this runs them
all against an empty warehouse, the way dbt recommends for CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.contract import SOURCES
from orchestration.lib.landing import ensure_tables
from orchestration.lib.settings import (
    DBT_PROFILES_DIR,
    DBT_PROJECT_DIR,
    connect_warehouse,
    load_settings,
)


def _dbt(*args: str, target: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **load_settings().dbt_env()}
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROFILES_DIR),
            "--target-path",
            str(target),
        ],
        env=env,
        capture_output=True,
        text=True,
    )


def test_all_dbt_unit_tests_pass(tmp_path):
    conn = connect_warehouse()
    for source in SOURCES:
        ensure_tables(conn, source)
    conn.close()
    target = tmp_path / "target"
    for step in (("seed",), ("run", "--empty")):
        proc = _dbt(*step, target=target)
        assert proc.returncode == 0, proc.stdout[-3000:]
    proc = _dbt("test", "--select", "test_type:unit", target=target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    hooks = [r for r in results if r["unique_id"].startswith("operation.")]  # on-run-start
    assert all(r["status"] == "success" for r in hooks), hooks
    results = [r for r in results if r not in hooks]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert proc.returncode == 0 and failed == [], (failed, proc.stdout[-3000:])
    manifest = json.loads((target / "manifest.json").read_text())
    assert len(results) == len(manifest["unit_tests"]) > 0  # all ran, none silently skipped
