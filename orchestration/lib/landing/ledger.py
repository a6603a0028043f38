"""Content ledger: which file contents have landed, and every (path, content) delivery seen."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from .decode import Reject
from .report import FileReport
from .tables import DELIVERIES, LEDGER, REJECTS, sql_str

COLUMNS = {  # in the order of the tuples kept by Bookkeeping (see tables.py for the DDL)
    LEDGER: (
        "sha256", "source", "entity", "path", "bytes", "lines", "rows_landed", "rows_rejected",
        "encoding", "status", "error", "landed_at",
    ),
    DELIVERIES: (
        "path", "sha256", "source", "entity", "bytes", "status", "reason", "delivered_at",
    ),
    REJECTS: (
        "source", "entity", "source_file", "file_sha256", "line_number", "reason", "raw_line",
        "rejected_at",
    ),
}  # fmt: skip

# Rejects are written in batches of this many (fewer statements for inboxes of small files).
REJECT_BATCH = 50_000


def file_sha256(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file's bytes as delivered (compressed if .gz)."""
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


class Bookkeeping:
    """Ledger, delivery and reject rows of the open transaction, written in a few statements.

    Per-file single-row statements dominate the cost of an inbox of small files, so rows are
    kept here and written by :meth:`flush`, which the loader calls before every commit. Lookups
    see both the table and the rows not yet written. After a rollback call :meth:`discard`.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        # sha256 -> path of the committed ledger, read once: one lookup query per file cost
        # more than landing a small file's rows
        self._ledger: dict[str, str] = dict(
            conn.execute(f"SELECT sha256, path FROM {LEDGER}").fetchall()
        )
        self.discard()

    def discard(self) -> None:
        self._files: list[tuple] = []
        self._deliveries: list[tuple] = []
        self._rejects: list[tuple] = []
        self._paths: dict[str, str] = {}  # sha256 -> path, of files landing in this transaction
        self._seen: set[tuple[str, str]] = set()  # (path, sha256) of deliveries not yet written

    def ledgered_path(self, sha256: str) -> str | None:
        """Inbox path that first landed this content, None if the content is new."""
        return self._paths.get(sha256) or self._ledger.get(sha256)

    def claim(self, sha256: str, path: str) -> None:
        """This transaction lands the content at ``path`` (its ledger row comes at the flush)."""
        self._paths[sha256] = path

    def committed(self) -> None:
        """The transaction committed: its contents are in the ledger now."""
        self._ledger.update(self._paths)
        self._paths = {}

    def delivery_seen(self, path: str, sha256: str) -> bool:
        if (path, sha256) in self._seen:
            return True
        where = f"path = {sql_str(path)} AND sha256 = {sql_str(sha256)}"
        row = self.conn.execute(f"SELECT 1 FROM {DELIVERIES} WHERE {where}").fetchone()
        return row is not None

    def record_file(self, fr: FileReport, at: datetime) -> None:
        self._paths[fr.sha256] = fr.path
        self._files.append(
            (
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
            )
        )

    def record_delivery(self, fr: FileReport, at: datetime, reason: str | None = None) -> None:
        self._seen.add((fr.path, fr.sha256))
        row = (
            fr.path,
            fr.sha256,
            fr.source,
            fr.entity,
            fr.bytes,
            fr.status,
            reason or fr.error,
            at,
        )
        self._deliveries.append(row)

    def add_rejects(
        self, source: str, entity: str, path: str, sha256: str, at: datetime, rejects: list[Reject]
    ) -> None:
        self._rejects.extend((source, entity, path, sha256, n, r, raw, at) for n, r, raw in rejects)
        if len(self._rejects) >= REJECT_BATCH:
            self._write(REJECTS, self._rejects, "")
            self._rejects = []

    def flush(self) -> None:
        """Write the pending rows (inside the caller's transaction)."""
        self._write(REJECTS, self._rejects, "")
        self._write(LEDGER, self._files, "")
        self._write(DELIVERIES, self._deliveries, " ON CONFLICT DO NOTHING")
        paths = self._paths  # kept until committed(): the rows are written, not yet committed
        self.discard()
        self._paths = paths

    def _write(self, table: str, rows: list[tuple], suffix: str) -> None:
        if not rows:
            return
        columns = COLUMNS[table]
        tbl = pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in rows])
        self.conn.register("_landing_book", tbl)
        try:
            cols = ", ".join(columns)
            self.conn.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _landing_book{suffix}"
            )
        finally:
            self.conn.unregister("_landing_book")
