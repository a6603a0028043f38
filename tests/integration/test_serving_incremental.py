"""Publishing only what changed: kept tables, replaced partitions, and the cases that copy all."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib.serving import PublishError, publish_marts
from orchestration.lib.serving import publish as publish_mod

pytestmark = pytest.mark.timeout(120)

DAILY = {"daily": "d"}


def sql(warehouse: Path, *statements: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for statement in statements:
            con.execute(statement)


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    """marts: a (small), daily (5 days x 1000 customers, partitioned by d), v (a view)."""
    warehouse = tmp_path / "warehouse.duckdb"
    sql(
        warehouse,
        "create schema marts",
        "create schema staging",
        "create table marts.a as select range as x, 'v1' as tag from range(10)",
        "create table marts.daily as select date '2026-01-01' + (range // 1000)::int as d,"
        " range % 1000 as customer, range * 1.5 as value from range(5000)",
        "create table staging.s as select range as z from range(3)",
        "create view marts.v as select z, z * 2 as z2 from staging.s",
    )
    return warehouse, tmp_path / "serving"


def assert_serving_equals_warehouse(warehouse: Path, serving: Path) -> None:
    """Every mart, in the serving file and in Parquet, has the warehouse's rows and types."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute(f"attach '{serving / 'marts.duckdb'}' as sv (read_only)")
        marts = sorted(
            t
            for (t,) in con.execute(
                "select table_name from duckdb_tables() where database_name = 'wh'"
                " and schema_name = 'marts' union all select view_name from duckdb_views()"
                " where database_name = 'wh' and schema_name = 'marts'"
            ).fetchall()
        )
        served = con.execute(
            "select table_name from duckdb_tables() where database_name = 'sv'"
            " and table_name <> '_published' order by 1"
        ).fetchall()
        assert [t for (t,) in served] == marts
        assert sorted(p.name for p in (serving / "parquet").iterdir()) == sorted(
            t if t in DAILY else f"{t}.parquet" for t in marts
        )
        for table in marts:
            pq = f"read_parquet('{parquet_files(serving, table)}')"
            for copy in (f"sv.main.{table}", pq):
                for left, right in [(f"wh.marts.{table}", copy), (copy, f"wh.marts.{table}")]:
                    diff = f"select * from {left} except all select * from {right}"
                    assert con.execute(f"select count(*) from ({diff})").fetchone()[0] == 0
            types = [
                f"select column_name, column_type from (describe {t})"
                for t in ("wh.marts." + table, "sv.main." + table)
            ]
            assert con.execute(types[0]).fetchall() == con.execute(types[1]).fetchall()


def parquet_files(serving: Path, table: str) -> Path:
    """The table's Parquet file, or a glob of its partition files (Hive layout) if partitioned."""
    if table in DAILY:
        return serving / "parquet" / table / "*" / "*.parquet"
    return serving / "parquet" / f"{table}.parquet"


def inode(serving: Path, table: str) -> int:
    return (serving / "parquet" / f"{table}.parquet").stat().st_ino


def partition_inodes(serving: Path, table: str) -> dict[str, int]:
    """{'d=2026-01-01': inode of its file} of a partitioned table's Parquet directory."""
    parts = sorted((serving / "parquet" / table).iterdir())
    assert all(len(list(p.iterdir())) == 1 for p in parts)
    return {p.name: next(p.iterdir()).stat().st_ino for p in parts}


def test_republish_rewrites_only_changed_tables(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    first = publish_marts(warehouse, serving, partitioned=DAILY)
    assert not first.incremental and set(first.changes.values()) == {"copied"}
    a_inode = inode(serving, "a")

    # One value of a changes, the row count does not; daily and the view do not change.
    sql(warehouse, "update marts.a set tag = 'v2' where x = 3")
    second = publish_marts(warehouse, serving, partitioned=DAILY)

    assert second.incremental
    assert second.changes == {
        "marts.a": "copied",
        "marts.daily": "unchanged",
        "marts.v": "unchanged",
    }
    assert inode(serving, "a") != a_inode
    assert_serving_equals_warehouse(warehouse, serving)
    # The unchanged tables' Parquet files are the previous set's, linked, not written again.
    daily_inodes = partition_inodes(serving, "daily")
    sql(warehouse, "update marts.a set tag = 'v3' where x = 4")
    publish_marts(warehouse, serving, partitioned=DAILY)
    assert partition_inodes(serving, "daily") == daily_inodes
    assert_serving_equals_warehouse(warehouse, serving)


def test_partitioned_table_replaces_only_changed_partitions(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    before = partition_inodes(serving, "daily")
    sql(
        warehouse,
        "delete from marts.daily where d = date '2026-01-01'",  # a day removed
        "delete from marts.daily where d = date '2026-01-02' and customer = 7",  # a row removed
        "update marts.daily set value = -1 where d = date '2026-01-04' and customer = 9",
        # a day added
        "insert into marts.daily select date '2026-01-06', range, 0 from range(1000)",
    )
    report = publish_marts(warehouse, serving, partitioned=DAILY)

    assert report.changes["marts.daily"] == "replaced 4 partitions"
    assert report.row_counts["marts.daily"] == 4999
    assert_serving_equals_warehouse(warehouse, serving)
    # In Parquet too: the untouched days are linked, the changed ones written, the removed one gone.
    after = partition_inodes(serving, "daily")
    assert sorted(after) == [f"d=2026-01-0{day}" for day in (2, 3, 4, 5, 6)]
    assert {day for day in after if after[day] == before.get(day)} == {
        "d=2026-01-03",
        "d=2026-01-05",
    }


def test_partitioned_table_with_new_columns_or_null_partitions_is_copied(
    paths: tuple[Path, Path],
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    sql(warehouse, "alter table marts.daily add column segment varchar default 'x'")
    assert publish_marts(warehouse, serving, partitioned=DAILY).changes["marts.daily"] == "copied"
    assert_serving_equals_warehouse(warehouse, serving)

    sql(warehouse, "insert into marts.daily values (null, 1, 1.0, 'y')")
    assert publish_marts(warehouse, serving, partitioned=DAILY).changes["marts.daily"] == "copied"
    assert_serving_equals_warehouse(warehouse, serving)


def test_dropped_and_added_marts_follow_the_warehouse(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    sql(warehouse, "drop table marts.a", "create table marts.e as select 'new' as word")
    report = publish_marts(warehouse, serving, partitioned=DAILY)

    assert report.incremental
    assert report.changes == {
        "marts.daily": "unchanged",
        "marts.e": "copied",
        "marts.v": "unchanged",
    }
    assert_serving_equals_warehouse(warehouse, serving)


def test_full_publish_and_a_fragmented_file_start_from_scratch(
    paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    daily_inodes = partition_inodes(serving, "daily")
    full = publish_marts(warehouse, serving, partitioned=DAILY, full=True)
    assert not full.incremental and set(full.changes.values()) == {"copied"}
    # no Parquet file shared with earlier sets
    assert not set(partition_inodes(serving, "daily").values()) & set(daily_inodes.values())

    monkeypatch.setattr(publish_mod, "MAX_FREE_BLOCK_SHARE", -1.0)
    assert not publish_marts(warehouse, serving, partitioned=DAILY).incremental
    assert_serving_equals_warehouse(warehouse, serving)


def test_serving_file_does_not_grow_without_bound(paths: tuple[Path, Path]) -> None:
    warehouse, serving = paths
    sql(
        warehouse,
        "create table marts.big as select range as x, md5(range::varchar) as h from range(300000)",
    )
    publish_marts(warehouse, serving, partitioned=DAILY)
    sizes = []
    for day in range(8):
        sql(
            warehouse,
            f"update marts.big set h = md5((x + {day + 1})::varchar)",
            f"insert into marts.daily select date '2026-01-06' + {day}, range, 0 from range(1000)",
        )
        report = publish_marts(warehouse, serving, partitioned=DAILY)
        assert report.changes["marts.big"] == "copied"
        sizes.append(report.bytes)
    with duckdb.connect() as con:
        fresh = serving.parent / "fresh.duckdb"
        con.execute(f"attach '{fresh}' as f")
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        con.execute("create table f.big as select * from wh.marts.big")
        con.execute("create table f.daily as select * from wh.marts.daily")
        con.execute("detach f")
    # Blocks of replaced tables are reused (checkpoint before copying) or the file is rewritten.
    assert max(sizes) < 1.75 * fresh.stat().st_size, sizes
    assert_serving_equals_warehouse(warehouse, serving)


def test_parquet_of_an_interrupted_publish_is_not_reused(
    paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between replacing the file and swapping the Parquet link, a publish leaves a
    serving file one version ahead of the Parquet set: that set must not be linked again."""
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    sql(warehouse, "update marts.a set tag = 'v2'")

    def killed(new_version: Path, parquet_link: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(publish_mod, "swap_parquet_dir", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_marts(warehouse, serving, partitioned=DAILY)
    monkeypatch.undo()

    report = publish_marts(warehouse, serving, partitioned=DAILY)
    assert report.changes["marts.a"] == "unchanged"  # the serving file already had v2
    assert_serving_equals_warehouse(warehouse, serving)  # and so has a.parquet now


def test_partition_replacement_is_verified(
    paths: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse, serving = paths
    publish_marts(warehouse, serving, partitioned=DAILY)
    sql(warehouse, "update marts.daily set value = -1 where customer = 5")

    def replace_nothing(con: duckdb.DuckDBPyConnection, *relations_and_column: str) -> list:
        return []

    monkeypatch.setattr(publish_mod, "_replace_changed_partitions", replace_nothing)
    with pytest.raises(PublishError, match="after replacing partitions"):
        publish_marts(warehouse, serving, partitioned=DAILY)
    monkeypatch.undo()
    assert publish_marts(warehouse, serving, partitioned=DAILY).changes["marts.daily"] == (
        "replaced 5 partitions"
    )
    assert_serving_equals_warehouse(warehouse, serving)
