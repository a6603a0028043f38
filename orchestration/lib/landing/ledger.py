"""Content ledger: which file contents have landed, and every (path, content) delivery seen."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb

from .report import FileReport
from .tables import DELIVERIES, LEDGER


def file_sha256(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file's bytes as delivered (compressed if .gz)."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


def ledgered_path(conn: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    """Inbox path that first landed this content, None if the content is new."""
    row = conn.execute(f"SELECT path FROM {LEDGER} WHERE sha256 = ?", [sha256]).fetchone()
    return row[0] if row else None


def delivery_seen(conn: duckdb.DuckDBPyConnection, path: str, sha256: str) -> bool:
    row = conn.execute(
        f"SELECT 1 FROM {DELIVERIES} WHERE path = ? AND sha256 = ?", [path, sha256]
    ).fetchone()
    return row is not None


def record_file(conn: duckdb.DuckDBPyConnection, fr: FileReport, at: datetime) -> None:
    conn.execute(
        f"INSERT INTO {LEDGER} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            fr.sha256,
            fr.source,
            fr.entity,
            fr.path,
            fr.bytes,
            fr.lines,
            fr.rows_landed,
            fr.rows_rejected,
            fr.encoding,
            fr.status,
            fr.error,
            at,
        ],
    )


def record_delivery(
    conn: duckdb.DuckDBPyConnection, fr: FileReport, at: datetime, reason: str | None = None
) -> None:
    conn.execute(
        f"INSERT INTO {DELIVERIES} VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [fr.path, fr.sha256, fr.source, fr.entity, fr.bytes, fr.status, reason or fr.error, at],
    )
