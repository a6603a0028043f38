"""DuckDB resource settings reach every dbt cursor (they are connect-time options: dbt-duckdb's
per-cursor `settings` broke builds that had spilled), and a query larger than the memory limit
completes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from orchestration.lib.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR

BIG_AGGREGATE = (
    "select count(*) as groups from "
    "(select i % 5000011 as k, count(*) as c from range(40000000) t(i) group by 1)"
)


def _dbt_show(sql: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "LAKEHOUSE_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
        "LAKEHOUSE_DUCKDB_TEMP_DIR": str(tmp_path / "spill"),
        **env,
    }
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "show",
            "--inline",
            sql,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROFILES_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--output",
            "json",
            "--log-format",
            "json",
        ],
        env=environment,
        capture_output=True,
        text=True,
    )


def _preview(proc: subprocess.CompletedProcess) -> list[dict]:
    for line in proc.stdout.splitlines():
        data = json.loads(line).get("data", {})
        if "preview" in data:
            return json.loads(data["preview"])
    raise AssertionError(proc.stdout[-2000:])


def test_settings_reach_the_cursor_and_large_queries_spill(tmp_path):
    proc = _dbt_show(
        "select current_setting('memory_limit') as m, current_setting('temp_directory') as t, "
        f"current_setting('TimeZone') as tz, ({BIG_AGGREGATE}) as groups",
        tmp_path,
        LAKEHOUSE_DUCKDB_MEMORY_LIMIT="300MB",
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    [row] = _preview(proc)
    assert row["t"] == str(tmp_path / "spill")
    assert row["m"].startswith("286")  # 300 MB as DuckDB reports it, in MiB
    assert row["tz"] == "UTC"
    assert row["groups"] == 5000011
