"""Rewrite inbox files without the person's lines, and ledger the new content as landed.

A line is dropped when the warehouse says it is the person's (its raw row or reject matched,
by file content hash and line number) or when its bytes mention a term. Everything else is
kept byte for byte, header included; ``.gz`` files are re-compressed. The new content hash is
recorded in ``raw._file_ledger`` / ``raw._file_deliveries`` before the file is swapped in, so
the next landing run sees known content and lands nothing (the remaining lines are already in
raw). The original hash stays in the ledger too: a re-delivery of the old file is a duplicate.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import duckdb

from orchestration.lib.contract import SOURCES
from orchestration.lib.erasure.catalog import Table, find
from orchestration.lib.erasure.match import RAW_SCHEMA
from orchestration.lib.landing.discover import InboxFile, discover
from orchestration.lib.landing.ledger import file_sha256

ERASURE_REASON = "rewritten by erasure"


@dataclass
class Rewrite:
    path: Path
    rel: str
    old_sha: str
    drop: set[int]  # 1-based physical line numbers removed
    landed_dropped: int  # of which had landed in raw (the others were rejects)
    tmp: Path | None = None
    new_sha: str | None = None
    new_bytes: int = 0
    new_lines: int = 0


def _gz(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


@contextmanager
def _open(path: Path, mode: str, gz: bool) -> Iterator[BinaryIO]:
    if gz:
        if mode == "rb":
            with gzip.open(path, "rb") as fh:
                yield fh
        else:  # no name, no timestamp in the gzip header: same lines -> same bytes
            with open(path, "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as fh:
                yield fh
    else:
        with open(path, mode) as fh:
            yield fh


def _lines_to_drop(f: InboxFile, known: dict[int, bool], pattern: re.Pattern[bytes]) -> set[int]:
    drop = set(known)
    with _open(f.path, "rb", _gz(f.path)) as fh:
        for number, line in enumerate(fh, 1):
            if number not in drop and pattern.search(line):
                drop.add(number)
    if f.format == "csv":
        drop.discard(1)  # the header is the producer's, never the person's
    return drop


def plan(
    inbox: Path, lines: dict[str, dict[int, bool]], pattern: re.Pattern[bytes]
) -> list[Rewrite]:
    """Inbox files that hold the person's lines, with the line numbers to drop."""
    out = []
    for source in SOURCES:
        files, _ignored = discover(inbox, source)
        for f in files:
            sha, _size = file_sha256(f.path)
            known = lines.get(sha, {})
            drop = _lines_to_drop(f, known, pattern)
            if drop:
                landed = sum(1 for n in drop if known.get(n))
                out.append(Rewrite(f.path, f.rel, sha, drop, landed))
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(rw: Rewrite, erasure_id: str) -> None:
    """Write the file without the dropped lines next to it, under a hidden name."""
    rw.tmp = rw.path.with_name(f".{rw.path.name}.erasure-{erasure_id}")
    kept = 0
    gz = _gz(rw.path)
    with _open(rw.path, "rb", gz) as src, _open(rw.tmp, "wb", gz) as dst:
        for number, line in enumerate(src, 1):
            if number not in rw.drop:
                dst.write(line)
                kept += 1
    st = rw.path.stat()
    os.chmod(rw.tmp, st.st_mode & 0o7777)
    _fsync(rw.tmp)
    rw.new_sha, rw.new_bytes = file_sha256(rw.tmp)
    rw.new_lines = kept


def record(
    conn: duckdb.DuckDBPyConnection,
    all_tables: list[Table],
    rewrites: list[Rewrite],
    at: datetime,
) -> None:
    """Ledger the rewritten contents as already landed (only files whose original landed)."""
    ledger = find(all_tables, "_file_ledger", "sha256", "path")
    deliveries = find(all_tables, "_file_deliveries", "path", "sha256")
    if ledger is None or ledger.schema != RAW_SCHEMA:
        return
    for rw in rewrites:
        removed_rejects = len(rw.drop) - rw.landed_dropped
        conn.execute(
            f"""insert into {ledger.ref} (sha256, source, entity, path, bytes, lines, rows_landed,
                    rows_rejected, encoding, status, error, landed_at)
                select ?, source, entity, ?, ?, ?, greatest(rows_landed - ?, 0),
                       greatest(rows_rejected - ?, 0), encoding, status, error, ?
                from {ledger.ref} where sha256 = ?
                on conflict do nothing""",
            [
                rw.new_sha,
                rw.rel,
                rw.new_bytes,
                rw.new_lines,
                rw.landed_dropped,
                removed_rejects,
                at,
                rw.old_sha,
            ],
        )
        if deliveries is not None:
            conn.execute(
                f"""insert into {deliveries.ref} (path, sha256, source, entity, bytes, status,
                        reason, delivered_at)
                    select ?, ?, source, entity, ?, status, ?, ? from {ledger.ref}
                    where sha256 = ? on conflict do nothing""",
                [rw.rel, rw.new_sha, rw.new_bytes, ERASURE_REASON, at, rw.old_sha],
            )


def swap_in(rw: Rewrite) -> None:
    """Atomically replace the original, keeping its mtime (the inbox sensor's cursor)."""
    assert rw.tmp is not None
    st = rw.path.stat()
    os.utime(rw.tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(rw.tmp, rw.path)
    _fsync(rw.path.parent)


def discard(rewrites: list[Rewrite]) -> None:
    for rw in rewrites:
        if rw.tmp is not None:
            rw.tmp.unlink(missing_ok=True)
