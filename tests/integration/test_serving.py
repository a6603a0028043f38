"""Publishing marts to the BI serving file: contents, idempotence, hardening, atomicity."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy as sa

from orchestration.defs.serving import SERVING_ASSET_KEY, build_serving_assets
from orchestration.lib.serving import (
    PublishError,
    connect_serving,
    create_serving_engine,
    publish_marts,
    serving_sqlalchemy_url,
)
from orchestration.lib.serving import publish as publish_mod

pytestmark = pytest.mark.timeout(60)


def build_warehouse(path: Path, version: int) -> None:
    """marts.a has 10*version rows, marts.b twice as many; marts.c is a view over staging."""
    n = 10 * version
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists staging")
        con.execute(
            f"create or replace table marts.a as select range as x, 'v{version}' as tag "
            f"from range({n})"
        )
        con.execute(f"create or replace table marts.b as select range as y from range({2 * n})")
        con.execute("create or replace table staging.s as select range as z from range(3)")
        con.execute("create or replace view marts.c as select z, z * 2 as z2 from staging.s")
        con.execute("create or replace table staging.not_published as select 1 as w")


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    warehouse = tmp_path / "warehouse" / "lakehouse.duckdb"
    warehouse.parent.mkdir()
    build_warehouse(warehouse, 1)
    return warehouse, tmp_path / "serving"


def count(path: Path, table: str) -> int:
    with connect_serving(path) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_publish_copies_identical_tables_and_parquet(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    report = publish_marts(warehouse, serving)

    assert report.row_counts == {"marts.a": 10, "marts.b": 20, "marts.c": 3}
    assert stat.S_IMODE(report.serving_path.stat().st_mode) == 0o444
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{report.serving_path}' as sv (read_only)")
        for table in ("a", "b", "c"):
            for left, right in [("wh.marts", "sv.main"), ("sv.main", "wh.marts")]:
                diff = f"select * from {left}.{table} except all select * from {right}.{table}"
                assert con.execute(f"select count(*) from ({diff})").fetchone()[0] == 0
            pq = f"read_parquet('{serving / 'parquet' / f'{table}.parquet'}')"
            diff = f"select * from {pq} except all select * from wh.marts.{table}"
            assert con.execute(f"select count(*) from ({diff})").fetchone()[0] == 0
            types = [
                f"select column_name, column_type from (describe {src})"
                for src in (f"wh.marts.{table}", f"sv.main.{table}")
            ]
            assert con.execute(types[0]).fetchall() == con.execute(types[1]).fetchall()
        published = con.execute(
            "select table_name, row_count from sv._published order by 1"
        ).fetchall()
    assert published == [("a", 10), ("b", 20), ("c", 3)]
    # BI writes the same SQL as against the warehouse; staging is not published.
    assert count(report.serving_path, "marts.a") == count(report.serving_path, "a") == 10
    with connect_serving(report.serving_path) as con, pytest.raises(duckdb.CatalogException):
        con.execute("select * from not_published")


def test_republish_is_idempotent_and_leaves_no_clutter(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    reports = [publish_marts(warehouse, serving) for _ in range(3)]

    assert len({tuple(sorted(r.row_counts.items())) for r in reports}) == 1
    assert count(reports[-1].serving_path, "b") == 20
    names = sorted(p.name for p in serving.iterdir())
    assert not [n for n in names if n.startswith(".building-")]
    # The live Parquet set and the one before it (kept for readers part-way through).
    assert len([n for n in names if n.startswith(".parquet-")]) == 2
    assert sorted(p.name for p in (serving / "parquet").iterdir()) == [
        "a.parquet",
        "b.parquet",
        "c.parquet",
    ]


def test_hardened_duckdb_connection(paths: tuple[Path, Path], tmp_path: Path) -> None:
    warehouse, serving = paths
    report = publish_marts(warehouse, serving)
    csv = tmp_path / "landing.csv"
    csv.write_text("a,b\n1,2\n")
    forbidden = [
        f"select * from read_csv('{csv}')",
        f"select * from read_parquet('{serving / 'parquet' / 'a.parquet'}')",
        f"copy (select 1) to '{tmp_path / 'out.csv'}'",
        f"attach '{warehouse}' as wh (read_only)",
        "create table t as select 1",
        "insert into a values (1, 'x')",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "reset enable_external_access",
    ]
    with connect_serving(report.serving_path) as con:
        for sql in forbidden:
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        assert con.execute("select current_setting('enable_external_access')").fetchone() == (
            False,
        )
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("how", ["url", "engine"])
def test_hardened_sqlalchemy_connection(paths: tuple[Path, Path], tmp_path: Path, how: str) -> None:
    warehouse, serving = paths
    report = publish_marts(warehouse, serving)
    path = report.serving_path
    engine = (
        sa.create_engine(serving_sqlalchemy_url(path), poolclass=sa.pool.NullPool)
        if how == "url"
        else create_serving_engine(path)
    )
    with engine.connect() as con:
        settings = con.exec_driver_sql(
            "select current_setting('access_mode'), current_setting('enable_external_access'),"
            " current_setting('lock_configuration'), (select count(*) from marts.b)"
        ).one()
    assert tuple(settings) == ("read_only", False, True, 20)
    for sql in [
        f"select * from read_csv('{tmp_path}/x.csv')",
        "set enable_external_access=true",
        "create table t (x int)",
        f"copy (select 1) to '{tmp_path}/o.csv'",
    ]:
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError):
            con.exec_driver_sql(sql)
    engine.dispose()


def test_open_connection_keeps_old_version_new_process_sees_new(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    path = publish_marts(warehouse, serving).serving_path
    old = connect_serving(path)
    assert old.execute("select count(*) from a").fetchone() == (10,)

    build_warehouse(warehouse, 2)
    publish_marts(warehouse, serving)

    # POSIX: the open connection still reads the replaced inode, consistently.
    assert old.execute("select count(*), min(tag) from a").fetchone() == (10, "v1")
    probe = (
        "from orchestration.lib.serving import connect_serving as c; import sys; "
        "print(c(sys.argv[1]).execute('select count(*) from a').fetchone()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert out.stdout.strip() == "20"
    # Gotcha: DuckDB caches one instance per path per process, so while `old` is open a new
    # connection in this process still gets the old version (hence NullPool for BI engines).
    with connect_serving(path) as again:
        assert again.execute("select count(*) from a").fetchone() == (10,)
    old.close()
    assert count(path, "a") == 20


def test_count_mismatch_fails_loudly_and_keeps_previous(
    paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving)
    build_warehouse(warehouse, 2)
    real_count = publish_mod._count

    def lossy_count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
        n = real_count(con, relation)
        return n - 1 if relation.startswith(publish_mod.BUILD_ALIAS) else n

    monkeypatch.setattr(publish_mod, "_count", lossy_count)
    with pytest.raises(PublishError, match="row counts differ"):
        publish_marts(warehouse, serving)
    assert count(serving / "marts.duckdb", "a") == 10
    assert not list(serving.glob(".building-*"))


def test_failure_after_temp_file_written_keeps_previous(
    paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving)
    build_warehouse(warehouse, 2)

    def boom(built: Path, target: Path) -> None:
        assert built.exists() and built.stat().st_size > 0
        raise OSError("disk went away")

    monkeypatch.setattr(publish_mod, "publish_file", boom)
    with pytest.raises(OSError, match="disk went away"):
        publish_marts(warehouse, serving)
    assert count(serving / "marts.duckdb", "a") == 10
    assert len(list((serving / "parquet").iterdir())) == 3
    assert not list(serving.glob(".building-*"))

    monkeypatch.undo()
    assert publish_marts(warehouse, serving).row_counts["marts.a"] == 20
    assert count(serving / "marts.duckdb", "a") == 20


KILLED_PUBLISH = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.lib.serving import publish as p

    def hang(built, target):
        Path(sys.argv[3]).write_text(str(built))
        time.sleep(60)

    p.publish_file = hang
    p.publish_marts(sys.argv[1], sys.argv[2])
    """
)


def test_sigkilled_publish_keeps_previous_and_next_publish_cleans_up(
    paths: tuple[Path, Path], tmp_path: Path
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving)
    build_warehouse(warehouse, 2)
    marker = tmp_path / "built"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(warehouse), str(serving), str(marker)]
    )
    try:
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "publish subprocess never reached the replace step"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    leftover = Path(marker.read_text())
    assert leftover.exists()
    assert count(serving / "marts.duckdb", "a") == 10
    assert sorted(p.name for p in (serving / "parquet").iterdir())[0] == "a.parquet"

    report = publish_marts(warehouse, serving)
    assert leftover.name in report.cleaned
    assert not list(serving.glob(".building-*"))
    assert count(serving / "marts.duckdb", "a") == 20


def test_dagster_asset_publishes_with_metadata(
    paths: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = paths
    monkeypatch.setenv("LAKEHOUSE_WAREHOUSE_PATH", str(warehouse))
    monkeypatch.setenv("LAKEHOUSE_SERVING_DIR", str(serving))
    monkeypatch.setenv("LAKEHOUSE_DUCKDB_TEMP_DIR", str(tmp_path / "duckdb_tmp"))
    monkeypatch.setenv("LAKEHOUSE_DUCKDB_MEMORY_LIMIT", "1GB")
    mart_keys = [dg.AssetKey(["marts", "a"]), dg.AssetKey(["marts", "b"])]
    asset, _audience_exports = build_serving_assets(mart_keys)

    spec = asset.specs_by_key[SERVING_ASSET_KEY]
    assert spec.group_name == "serving"
    assert {d.asset_key for d in spec.deps} == set(mart_keys)
    assert asset.op.pool == "duckdb_writer"

    result = dg.materialize([asset], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    [mat] = result.asset_materializations_for_node(asset.op.name)
    meta = mat.metadata
    assert meta["row_counts"].value == {"marts.a": 10, "marts.b": 20, "marts.c": 3}
    assert meta["path"].value == str(serving / "marts.duckdb")
    assert meta["incremental"].value is False  # nothing was published before
    assert meta["changes"].value == {t: "copied" for t in ("marts.a", "marts.b", "marts.c")}
    assert meta["bytes"].value > 0 and meta["seconds"].value >= 0
    assert count(serving / "marts.duckdb", "b") == 20
