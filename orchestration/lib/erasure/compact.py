"""Rebuild the warehouse file so deleted rows leave no bytes behind.

DuckDB reuses freed blocks but does not wipe them: after DELETE + CHECKPOINT the old values can
still sit in the file. So the whole database is copied (``COPY FROM DATABASE``, only live rows)
into a new file next to it, the copy's row counts are checked, and the new file replaces the
old with one ``os.replace``. Crash-safe order: the live file is untouched until the complete,
checkpointed copy exists; a crash before the rename leaves the old file (deletions committed)
and a hidden ``.compact-*`` leftover that the next run removes.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib.erasure.catalog import lit, q, tables
from orchestration.lib.settings import Settings, connect_warehouse

ALIAS = "__erasure_compact"
PREFIX = ".compact-"


class CompactError(RuntimeError):
    pass


@dataclass(frozen=True)
class CompactReport:
    bytes_before: int
    bytes_after: int


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(warehouse: Path) -> None:
    for p in warehouse.parent.glob(f"{PREFIX}{warehouse.name}-*"):
        p.unlink(missing_ok=True)


def compact(settings: Settings) -> CompactReport:
    """Copy the live warehouse into a fresh file and atomically put it in place."""
    path = settings.warehouse_path
    before = path.stat().st_size
    remove_leftovers(path)
    tmp = path.with_name(f"{PREFIX}{path.name}-{uuid.uuid4().hex}")
    conn = connect_warehouse(settings)
    try:
        conn.execute("checkpoint")
        db = conn.execute("select current_database()").fetchone()[0]
        conn.execute(f"attach {lit(str(tmp))} as {ALIAS}")
        conn.execute(f"copy from database {q(db)} to {ALIAS}")
        for t in tables(conn, db):
            rel = f"{q(t.schema)}.{q(t.name)}"
            old = conn.execute(f"select count(*) from {q(db)}.{rel}").fetchone()[0]
            new = conn.execute(f"select count(*) from {ALIAS}.{rel}").fetchone()[0]
            if old != new:
                raise CompactError(f"{t.label}: {old} rows, copy has {new}")
        conn.execute(f"detach {ALIAS}")  # checkpoints the copy: complete, no WAL
    except BaseException:
        conn.close()
        for p in (tmp, _wal(tmp)):
            p.unlink(missing_ok=True)
        raise
    conn.close()  # checkpoints and removes the live WAL
    if _wal(path).exists() or _wal(tmp).exists():
        raise CompactError("a WAL file is left after closing; refusing to replace the warehouse")
    os.chmod(tmp, path.stat().st_mode & 0o7777)
    _fsync(tmp)
    os.replace(tmp, path)
    _fsync(path.parent)
    _clean_temp_dir(settings.duckdb_temp_dir)
    return CompactReport(before, path.stat().st_size)


def _clean_temp_dir(temp_dir: Path) -> None:
    """Spill files of closed connections (DuckDB removes them; a crash may not)."""
    if temp_dir.is_dir():
        for p in temp_dir.iterdir():
            if p.is_file():
                p.unlink(missing_ok=True)
