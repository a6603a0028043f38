"""Publish the marts of the live warehouse into a separate serving file for BI.

The live warehouse is never what BI opens: DuckDB allows one writing process per file and any
reader in another process blocks that writer. So each publish copies the marts into a new
DuckDB file built aside, verifies it, and atomically replaces ``serving_dir/marts.duckdb``.

The copy opens the warehouse with ``read_only=True`` in this process. Callers must not hold a
write connection to the warehouse meanwhile (in Dagster the ``duckdb_writer`` pool of size 1
serialises dbt and the publish); in the same process an open connection with another
configuration makes DuckDB refuse the read-only one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.lib.serving.connect import PARQUET_DIR_NAME, SERVING_DB_NAME
from orchestration.lib.serving.files import (
    BUILDING_PREFIX,
    PARQUET_VERSION_PREFIX,
    clean_leftovers,
    publish_file,
    publish_lock,
    remove_quietly,
    swap_parquet_dir,
)

log = logging.getLogger(__name__)

BUILD_ALIAS = "__serving_build"
PUBLISHED_TABLE = "_published"
# BI opens marts.duckdb as catalog "marts"; a schema "marts" inside it would make ``marts.x``
# ambiguous. So that schema's tables go to ``main``: both ``x`` and ``marts.x`` then work.
SERVING_CATALOG = Path(SERVING_DB_NAME).stem


class PublishError(RuntimeError):
    """The built serving file does not match the warehouse; nothing was published."""


@dataclass(frozen=True)
class PublishReport:
    publish_id: str
    serving_path: Path
    parquet_dir: Path
    row_counts: dict[str, int]  # "schema.table" -> rows
    published_at: datetime
    source_mtime: datetime
    bytes: int
    parquet_bytes: int
    seconds: float
    cleaned: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return sorted(self.row_counts)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _source_mtime(warehouse_path: Path) -> datetime:
    wal = warehouse_path.with_name(warehouse_path.name + ".wal")
    mtimes = [p.stat().st_mtime for p in (warehouse_path, wal) if p.exists()]
    return datetime.fromtimestamp(max(mtimes), tz=UTC)


def _relations(con: duckdb.DuckDBPyConnection, schemas: Sequence[str]) -> list[tuple[str, str]]:
    """Tables and (non-internal) views of the given schemas in the warehouse catalog."""
    rows = con.execute(
        """
        select schema_name, table_name from duckdb_tables()
        where database_name = current_database() and schema_name = any($schemas)
          and not temporary
        union all
        select schema_name, view_name from duckdb_views()
        where database_name = current_database() and schema_name = any($schemas)
          and not internal and not temporary
        order by 1, 2
        """,
        {"schemas": list(schemas)},
    ).fetchall()
    names = [t for _, t in rows]
    dupes = {t for t in names if names.count(t) > 1}
    if dupes:
        raise PublishError(f"same table name in several schemas, Parquet names clash: {dupes}")
    bad = {t for t in names if "/" in t or t.startswith(".") or t == PUBLISHED_TABLE}
    if bad:
        raise PublishError(f"table names unusable as serving names: {bad}")
    return [(s, t) for s, t in rows]


def serving_schema(schema: str) -> str:
    """Schema of a warehouse schema's tables inside the serving file."""
    return "main" if schema == SERVING_CATALOG else schema


def _count(con: duckdb.DuckDBPyConnection, relation: str) -> int:
    return con.execute(f"select count(*) from {relation}").fetchone()[0]


def _check(expected: Mapping[str, int], actual: Mapping[str, int], what: str) -> None:
    if dict(expected) != dict(actual):
        diff = {
            k: (expected.get(k), actual.get(k))
            for k in set(expected) | set(actual)
            if expected.get(k) != actual.get(k)
        }
        raise PublishError(f"{what} row counts differ from the warehouse (want, got): {diff}")


def _build(
    warehouse_path: Path,
    building: Path,
    parquet_tmp: Path,
    schemas: Sequence[str],
    meta: dict[str, object],
    config: Mapping[str, str] | None,
) -> dict[tuple[str, str], int]:
    """Copy every relation into ``building`` and ``parquet_tmp``; return verified counts."""
    parquet_tmp.mkdir()
    con = duckdb.connect(str(warehouse_path), read_only=True, config=dict(config or {}))
    try:
        con.execute(f"attach {_lit(str(building))} as {BUILD_ALIAS} (read_write)")
        expected, copied, in_parquet = {}, {}, {}
        for schema, table in _relations(con, schemas):
            key, src = (schema, table), f"{_q(schema)}.{_q(table)}"
            dst_schema = f"{BUILD_ALIAS}.{_q(serving_schema(schema))}"
            dst = f"{dst_schema}.{_q(table)}"
            pq = _lit(str(parquet_tmp / f"{table}.parquet"))
            con.execute(f"create schema if not exists {dst_schema}")
            con.execute(f"create table {dst} as select * from {src}")
            con.execute(f"copy {dst} to {pq} (format parquet, compression zstd)")
            expected[key] = _count(con, src)
            copied[key] = _count(con, dst)
            in_parquet[key] = _count(con, f"read_parquet({pq})")
        _check(expected, copied, "serving file")
        _check(expected, in_parquet, "Parquet")
        con.execute(
            f"""create table {BUILD_ALIAS}.main.{PUBLISHED_TABLE} (
                publish_id varchar, schema_name varchar, table_name varchar, row_count bigint,
                published_at timestamptz, source_warehouse_mtime timestamptz)"""
        )
        con.executemany(
            f"insert into {BUILD_ALIAS}.main.{PUBLISHED_TABLE} values (?, ?, ?, ?, ?, ?)",
            [
                [meta["publish_id"], schema, table, n, meta["published_at"], meta["mtime"]]
                for (schema, table), n in expected.items()
            ],
        )
        con.execute(f"detach {BUILD_ALIAS}")  # checkpoints: the file is complete, no WAL
    finally:
        con.close()
    return expected


def _verify_built(building: Path, expected: Mapping[tuple[str, str], int]) -> None:
    """Re-open the finished file exactly as BI will and compare counts once more."""
    con = duckdb.connect(str(building), read_only=True)
    try:
        actual = {(s, t): _count(con, f"{_q(serving_schema(s))}.{_q(t)}") for s, t in expected}
        rows = con.execute(f"select schema_name, table_name, row_count from {PUBLISHED_TABLE}")
        recorded = {(s, t): n for s, t, n in rows.fetchall()}
    finally:
        con.close()
    _check(expected, actual, "re-opened serving file")
    _check(expected, recorded, f"{PUBLISHED_TABLE}")
    if building.with_name(building.name + ".wal").exists():
        raise PublishError(f"{building} still has a WAL file; refusing to publish it")


def publish_marts(
    warehouse_path: Path | str,
    serving_dir: Path | str,
    schemas: Sequence[str] = ("marts",),
    config: Mapping[str, str] | None = None,
) -> PublishReport:
    """Copy ``schemas`` of the warehouse into ``serving_dir/marts.duckdb`` and Parquet, atomically.

    ``config`` is passed to the warehouse connection (memory_limit, threads, temp_directory).
    Raises :class:`PublishError` when counts do not match; the previous publish then stays.
    """
    start = time.monotonic()
    warehouse_path, serving_dir = Path(warehouse_path), Path(serving_dir)
    if not warehouse_path.exists():
        raise FileNotFoundError(f"warehouse {warehouse_path} does not exist")
    serving_dir.mkdir(parents=True, exist_ok=True)
    target, parquet_link = serving_dir / SERVING_DB_NAME, serving_dir / PARQUET_DIR_NAME

    with publish_lock(serving_dir):
        cleaned = clean_leftovers(serving_dir, parquet_link)
        if cleaned:
            log.info("removed retired versions and leftovers of killed publishes: %s", cleaned)
        publish_id = uuid.uuid4().hex
        building = serving_dir / f"{BUILDING_PREFIX}{publish_id}.duckdb"
        parquet_tmp = serving_dir / f"{PARQUET_VERSION_PREFIX}{publish_id}"
        meta = {
            "publish_id": publish_id,
            "published_at": datetime.now(tz=UTC),
            "mtime": _source_mtime(warehouse_path),
        }
        try:
            counts = _build(warehouse_path, building, parquet_tmp, schemas, meta, config)
            _verify_built(building, counts)
            publish_file(building, target)
            swap_parquet_dir(parquet_tmp, parquet_link)
        except BaseException:
            for leftover in (building, building.with_name(building.name + ".wal")):
                remove_quietly(leftover)
            if parquet_link.resolve() != parquet_tmp.resolve():
                remove_quietly(parquet_tmp)
            raise

    return PublishReport(
        publish_id=publish_id,
        serving_path=target,
        parquet_dir=parquet_link,
        row_counts={f"{s}.{t}": n for (s, t), n in counts.items()},
        published_at=meta["published_at"],
        source_mtime=meta["mtime"],
        bytes=target.stat().st_size,
        parquet_bytes=sum(f.stat().st_size for f in parquet_tmp.iterdir()),
        seconds=round(time.monotonic() - start, 3),
        cleaned=cleaned,
    )
