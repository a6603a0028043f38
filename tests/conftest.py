"""Shared pytest setup: every test runs against its own data directory and a test PII key,
so nothing touches ./data and no test depends on the development key."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Property tests check behaviour, not speed: on a loaded 2-core machine a per-example deadline
# only produces flaky failures.
settings.register_profile("lakehouse", deadline=None, print_blob=True)
settings.load_profile("lakehouse")

TEST_PII_KEY = "test-pii-key-7f3a9c1e5b2d4f60a8e1"


@pytest.fixture(autouse=True)
def isolated_lakehouse_env(tmp_path_factory, monkeypatch):
    data_dir = tmp_path_factory.mktemp("lakehouse-data")
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("LAKEHOUSE_WAREHOUSE_PATH", raising=False)
    monkeypatch.delenv("LAKEHOUSE_INBOX_DIR", raising=False)
    monkeypatch.delenv("LAKEHOUSE_SERVING_DIR", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("LAKEHOUSE_PII_KEY", TEST_PII_KEY)
    monkeypatch.setenv("LAKEHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")
    yield data_dir


PIPELINE_CUSTOMERS, PIPELINE_DAYS = 400, 45


def materialize_everything():
    """Run the job `make run` runs, in process, on a throwaway Dagster instance."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("materialize_everything")
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


def table_counts(warehouse) -> dict[str, int]:
    import duckdb

    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog')"
        ).fetchall()
        return {
            f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pipeline_build(tmp_path_factory):
    """One generated dataset materialised twice (the second run must change nothing).

    Shared by the end-to-end and adversarial suites; tests that mutate the inbox use their own.
    """
    from orchestration.lib.generator import generate

    data_dir = tmp_path_factory.mktemp("pipeline")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEHOUSE_DATA_DIR", str(data_dir))
        mp.setenv("LAKEHOUSE_PII_KEY", TEST_PII_KEY)
        for var in ("LAKEHOUSE_WAREHOUSE_PATH", "LAKEHOUSE_INBOX_DIR", "LAKEHOUSE_SERVING_DIR"):
            mp.delenv(var, raising=False)
        inbox = data_dir / "inbox"
        generate(
            customers=PIPELINE_CUSTOMERS,
            days=PIPELINE_DAYS,
            start="2026-01-01",
            seed=7,
            out=inbox,
            dirt_rate=0.03,
            progress=False,
        )
        warehouse = data_dir / "warehouse" / "lakehouse.duckdb"
        first = materialize_everything()
        counts_first = table_counts(warehouse)
        second = materialize_everything()
        counts_second = table_counts(warehouse)
    return {
        "data_dir": data_dir,
        "inbox": inbox,
        "warehouse": warehouse,
        "serving": data_dir / "serving" / "marts.duckdb",
        "first": first,
        "second": second,
        "counts_first": counts_first,
        "counts_second": counts_second,
    }
