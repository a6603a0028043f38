"""Publish the marts of the live warehouse into a separate serving file for BI.

The live warehouse is never what BI opens: DuckDB allows one writing process per file and any
reader in another process blocks that writer. So each publish builds a new DuckDB file aside
(from a copy of the previous one, writing only the tables and partitions whose content
fingerprint changed), verifies it, and atomically replaces ``serving_dir/marts.duckdb``.

The copy opens the warehouse with ``read_only=True`` in this process. Callers must not hold a
write connection to the warehouse meanwhile (in Dagster the ``duckdb_writer`` pool of size 1
serialises dbt and the publish); in the same process an open connection with another
configuration makes DuckDB refuse the read-only one.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from orchestration.lib.serving.connect import PARQUET_DIR_NAME, SERVING_DB_NAME
from orchestration.lib.serving.files import (
    BUILDING_PREFIX,
    PARQUET_VERSION_PREFIX,
    clean_leftovers,
    current_parquet_version,
    publish_file,
    publish_lock,
    remove_quietly,
    swap_parquet_dir,
)
from orchestration.lib.serving.fingerprint import columns, fingerprint, partition_fingerprints

log = logging.getLogger(__name__)

BUILD_ALIAS = "__serving_build"
PUBLISHED_TABLE = "_published"
# BI opens marts.duckdb as catalog "marts"; a schema "marts" inside it would make ``marts.x``
# ambiguous. So that schema's tables go to ``main``: both ``x`` and ``marts.x`` then work.
SERVING_CATALOG = Path(SERVING_DB_NAME).stem
# Tables replaced partition by partition when only some partitions changed: an incremental day
# rewrites a few days of the daily state history, not its millions of rows. In Parquet they are
# a Hive-partitioned directory (<table>/<column>=<value>/data_0.parquet), so unchanged days are
# hard-linked from the previous set instead of written again.
PARTITIONED_TABLES = {"customer_state_daily": "state_date"}
# A build starts from a copy of the previous serving file; tables it replaces leave free blocks
# that later publishes reuse. Past this share of free blocks the file is rewritten compactly.
MAX_FREE_BLOCK_SHARE = 0.5
UNCHANGED, COPIED, PARTITIONS = "unchanged", "copied", "partitions"


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
    # "schema.table" -> "unchanged", "copied" or "replaced N partitions"
    changes: dict[str, str] = field(default_factory=dict)
    incremental: bool = False  # started from a copy of the previous serving file

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


def _built_tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = $db",
        {"db": BUILD_ALIAS},
    ).fetchall()
    return {(s, t) for s, t in rows}


def _previous_publish_id(con: duckdb.DuckDBPyConnection) -> str | None:
    if ("main", PUBLISHED_TABLE) not in _built_tables(con):
        return None
    row = con.execute(f"select max(publish_id) from {BUILD_ALIAS}.main.{PUBLISHED_TABLE}")
    return row.fetchone()[0]


def _free_block_share(con: duckdb.DuckDBPyConnection) -> float:
    free, total = con.execute(
        "select free_blocks, total_blocks from pragma_database_size() where database_name = $db",
        {"db": BUILD_ALIAS},
    ).fetchone()
    return free / total if total else 0.0


def _start_from_previous(
    con: duckdb.DuckDBPyConnection, building: Path, previous: Path | None
) -> str | None:
    """Attach ``building``: a copy of the previous serving file when one is usable, else empty.

    Returns the previous file's publish id, or None when the build starts empty. A copy whose
    free blocks (left by replaced tables) exceed MAX_FREE_BLOCK_SHARE is discarded, so the file
    is rewritten compactly now and then instead of growing.
    """
    if previous is not None:
        shutil.copyfile(previous, building)
        con.execute(f"attach {_lit(str(building))} as {BUILD_ALIAS} (read_write)")
        publish_id = _previous_publish_id(con)
        if publish_id is not None and _free_block_share(con) <= MAX_FREE_BLOCK_SHARE:
            return publish_id
        con.execute(f"detach {BUILD_ALIAS}")
        building.unlink()
    con.execute(f"attach {_lit(str(building))} as {BUILD_ALIAS} (read_write)")
    return None


def _replace_changed_partitions(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, column: str, column_type: str
) -> list | None:
    """Make ``dst`` equal ``src`` by replacing only the partitions of ``column`` that differ.

    Returns the values of the partitions replaced (added, changed or removed), or None when
    this cannot be done (a null partition value); the caller then copies the whole table.
    """
    want = partition_fingerprints(con, src, _q(column))
    have = partition_fingerprints(con, dst, _q(column))
    changed = [v for v in set(want) | set(have) if want.get(v) != have.get(v)]
    if None in changed:
        return None
    where = f"{_q(column)} in (select unnest(cast($changed as {column_type}[])))"
    con.execute(f"delete from {dst} where {where}", {"changed": changed})
    con.execute(f"insert into {dst} select * from {src} where {where}", {"changed": changed})
    return changed


def _plan_table(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, exists: bool, partition_column: str | None
) -> tuple[str, tuple | None]:
    """What ``dst`` (absent, or the previous publish's copy) needs to equal ``src``: UNCHANGED,
    PARTITIONS (replace the changed partitions of ``partition_column``) or COPIED; and the
    fingerprint of ``src`` when it was taken."""
    if not exists:
        return COPIED, None
    want = fingerprint(con, src)
    if want is None:
        return COPIED, None
    have = fingerprint(con, dst)
    if want == have:
        return UNCHANGED, want
    same_columns = have is not None and want[0] == have[0]
    return (PARTITIONS if same_columns and partition_column in dict(want[0]) else COPIED), want


def _replace_partitions(
    con: duckdb.DuckDBPyConnection, src: str, dst: str, partition_column: str, want: tuple
) -> tuple[str, list | None]:
    """Replace the changed partitions and check ``dst`` then has the fingerprint ``want`` of
    ``src``; copy the whole table when partitions cannot be replaced. Returns what was done and
    the values of the partitions replaced (None: the whole table was copied)."""
    column_type = dict(want[0])[partition_column]
    replaced = _replace_changed_partitions(con, src, dst, partition_column, column_type)
    if replaced is None:
        con.execute(f"drop table {dst}")
        con.execute(f"create table {dst} as select * from {src}")
        return COPIED, None
    if fingerprint(con, dst) != want:
        raise PublishError(f"{dst} differs from {src} after replacing partitions")
    return f"replaced {len(replaced)} partitions", replaced


def _hive_dir(column: str, value: object) -> str | None:
    """The directory DuckDB writes a partition to (``state_date=2026-01-31``), for the values
    whose text form is known here (dates); None for any other value."""
    is_date = isinstance(value, date) and not isinstance(value, datetime)
    return f"{column}={value.isoformat()}" if is_date and column.isidentifier() else None


def _write_parquet(
    con: duckdb.DuckDBPyConnection, dst: str, path: Path, previous: Path | None
) -> str:
    """``dst`` as one Parquet file at ``path``; hard-linked from ``previous`` (the same table's
    file in the verified set of the publish this build started from) when given and present.
    Returns the relation to count its rows."""
    if previous is not None and previous.is_file():
        os.link(previous, path)
    else:
        con.execute(f"copy {dst} to {_lit(str(path))} (format parquet, compression zstd)")
    return f"read_parquet({_lit(str(path))})"


def _write_partitioned_parquet(
    con: duckdb.DuckDBPyConnection,
    dst: str,
    out_dir: Path,
    column: str,
    previous: Path | None,
    rewrite: Sequence | None,
) -> str | None:
    """``dst`` as Hive-partitioned Parquet: ``out_dir/<column>=<value>/data_0.parquet``, the
    column kept inside the files too (readers without Hive support still see it).

    With ``previous`` (the same table's directory in the verified set of the publish this build
    started from, whose partitions equal ``dst``'s except ``rewrite``) only the ``rewrite``
    partitions are written and the others are hard-linked from it: an incremental day then
    writes a few days of the daily state history, not all of it. ``rewrite=None``, or a
    partition that cannot be found there, writes every partition. Returns the relation to count
    the rows, None when there is no row (and so no file).
    """
    out_dir.mkdir()
    keep: list[str] = []
    if previous is not None and previous.is_dir() and rewrite is not None:
        rewritten = set(rewrite)
        values = [v for (v,) in con.execute(f"select distinct {_q(column)} from {dst}").fetchall()]
        names = [_hive_dir(column, v) for v in values if v not in rewritten]
        if all(n is not None and (previous / n).is_dir() for n in names):
            keep = [n for n in names if n is not None]
        else:
            rewrite = None
    else:
        rewrite = None
    if rewrite is None or rewrite:
        where, params = "", None
        if rewrite is not None:
            column_type = dict(columns(con, dst))[column]
            where = f" where {_q(column)} in (select unnest(cast($rewrite as {column_type}[])))"
            params = {"rewrite": list(rewrite)}
        con.execute(
            f"copy (select * from {dst}{where}) to {_lit(str(out_dir))} (format parquet, "
            f"compression zstd, partition_by ({_q(column)}), write_partition_columns true, "
            "overwrite_or_ignore true)",
            params,
        )
    for name in keep:  # after the writes, so no write can touch a linked (shared) file
        (out_dir / name).mkdir()
        for f in (previous / name).iterdir():  # type: ignore[operator]
            os.link(f, out_dir / name / f.name)
    if not any(out_dir.iterdir()):
        return None
    return f"read_parquet({_lit(str(out_dir / '*' / '*.parquet'))})"


def _plan_build(
    con: duckdb.DuckDBPyConnection,
    relations: Sequence[tuple[str, str]],
    partitioned: Mapping[str, str],
) -> dict[tuple[str, str], tuple[str, str, str, tuple | None]]:
    """Per warehouse relation: (source, destination, plan, source fingerprint or None).

    Drops from the build what it must not keep: tables no longer in the warehouse (and the
    previous ``_published``) and tables to be copied anew, then checkpoints, so the blocks they
    freed are reused by what is written next.
    """
    wanted = {(serving_schema(s), t) for s, t in relations}
    for schema, table in sorted(_built_tables(con) - wanted):
        con.execute(f"drop table {BUILD_ALIAS}.{_q(schema)}.{_q(table)}")
    existing = _built_tables(con)
    plans = {}
    for schema, table in relations:
        src = f"{_q(schema)}.{_q(table)}"
        dst = f"{BUILD_ALIAS}.{_q(serving_schema(schema))}.{_q(table)}"
        exists = (serving_schema(schema), table) in existing
        plan, want = _plan_table(con, src, dst, exists, partitioned.get(table))
        if plan == COPIED and exists:
            con.execute(f"drop table {dst}")
        plans[schema, table] = (src, dst, plan, want)
    con.execute(f"checkpoint {BUILD_ALIAS}")
    return plans


def _build(
    warehouse_path: Path,
    building: Path,
    parquet_tmp: Path,
    schemas: Sequence[str],
    meta: dict[str, object],
    config: Mapping[str, str] | None,
    previous: Path | None,
    previous_parquet: Path | None,
    partitioned: Mapping[str, str],
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], str], bool]:
    """Bring ``building`` and ``parquet_tmp`` to the warehouse.

    Returns the verified row counts, what was done to each table, and whether the build started
    from the previous file.

    With a usable ``previous`` serving file the build starts from a copy of it: tables whose
    fingerprint did not change are kept (and their Parquet file hard-linked from
    ``previous_parquet`` when that set belongs to the same publish), tables in ``partitioned``
    get only their changed partitions replaced, the rest are copied anew.
    """
    parquet_tmp.mkdir()
    con = duckdb.connect(str(warehouse_path), read_only=True, config=dict(config or {}))
    try:
        previous_id = _start_from_previous(con, building, previous)
        same_set = (
            previous_parquet is not None
            and previous_id is not None
            and (previous_parquet.name == f"{PARQUET_VERSION_PREFIX}{previous_id}")
        )
        plans = _plan_build(con, _relations(con, schemas), partitioned)
        expected, copied, in_parquet, changes = {}, {}, {}, {}
        kept_set = previous_parquet if same_set else None
        for (schema, table), (src, dst, plan, want) in plans.items():
            key = (schema, table)
            column = partitioned.get(table)
            con.execute(f"create schema if not exists {BUILD_ALIAS}.{_q(serving_schema(schema))}")
            rewrite: list | None = None  # partitions that differ from the previous publish
            if plan == COPIED:
                con.execute(f"create table {dst} as select * from {src}")
            elif plan == PARTITIONS:
                plan, rewrite = _replace_partitions(con, src, dst, partitioned[table], want)
            elif plan == UNCHANGED:
                rewrite = []
            changes[key] = plan
            if column is None:
                kept = kept_set / f"{table}.parquet" if kept_set and plan == UNCHANGED else None
                pq = _write_parquet(con, dst, parquet_tmp / f"{table}.parquet", kept)
            else:
                kept = kept_set / table if kept_set else None
                pq = _write_partitioned_parquet(
                    con, dst, parquet_tmp / table, column, kept, rewrite
                )
            expected[key] = _count(con, src)
            copied[key] = _count(con, dst)
            in_parquet[key] = _count(con, pq) if pq else 0
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
    return expected, changes, previous_id is not None


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
    full: bool = False,
    partitioned: Mapping[str, str] = PARTITIONED_TABLES,
) -> PublishReport:
    """Copy ``schemas`` of the warehouse into ``serving_dir/marts.duckdb`` and Parquet, atomically.

    Only what changed since the previous publish is written (see ``_build``); ``full=True``
    writes a new file from scratch and every Parquet file anew (erasure uses it, so no byte of
    an earlier version survives in free blocks or shared Parquet files). ``partitioned`` maps a
    table to the column it is replaced by. ``config`` is passed to the warehouse connection
    (memory_limit, threads, temp_directory). Raises :class:`PublishError` when counts or
    fingerprints do not match; the previous publish then stays.
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
            previous = None if full or not target.exists() else target
            previous_parquet = current_parquet_version(parquet_link) if previous else None
            counts, changes, incremental = _build(
                warehouse_path,
                building,
                parquet_tmp,
                schemas,
                meta,
                config,
                previous=previous,
                previous_parquet=previous_parquet,
                partitioned=partitioned,
            )
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
        parquet_bytes=sum(f.stat().st_size for f in parquet_tmp.rglob("*") if f.is_file()),
        seconds=round(time.monotonic() - start, 3),
        cleaned=cleaned,
        changes={f"{s}.{t}": what for (s, t), what in changes.items()},
        incremental=incremental,
    )
