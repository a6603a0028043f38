"""Write one file's rows and rejects into DuckDB from Arrow batches (never row by row)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.lib.contract import Entity

from .decode import Reject
from .ledger import Bookkeeping
from .tables import raw_table, sql_str, sql_ts

ParseResult = tuple[list[list[str | None] | None], list[str | None] | None, list[int], list[Reject]]


class Parser(Protocol):
    def classify(self) -> tuple[str, dict[str, object]]: ...
    def fast_select(self) -> tuple[str, dict[str, object]]: ...
    def parse(self, numbers: list[int], texts: list[str]) -> ParseResult: ...


class FileSink:
    """Rows and rejects of one inbox file; the caller owns the transaction. Rejects are kept by
    the :class:`Bookkeeping` and written in batches."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        entity: Entity,
        path: str,
        sha256: str,
        loaded_at: datetime,
        book: Bookkeeping,
    ) -> None:
        self.conn = conn
        self.book = book
        self.path, self.sha256, self.loaded_at = path, sha256, loaded_at
        self.entity = entity
        self.meta = {"path": path, "sha": sha256, "ts": loaded_at}
        # As SQL literals: a Python parameter costs far more than the statement's own work
        # (duckdb probes for optional modules on every parameter conversion).
        self.meta_sql = f"{sql_str(path)}, {sql_str(sha256)}, {sql_ts(loaded_at)}"
        self.table = raw_table(entity)
        cols = ", ".join(f'"{c}"' for c in entity.columns)
        self.insert_cols = f"{cols}, _extra, _line_number, _source_file, _file_sha256, _loaded_at"
        self.landed = 0
        self.rejected = 0
        self.reasons: Counter[str] = Counter()

    def land(self, parser: Parser, numbers: list[int], texts: list[str]) -> None:
        """Land decoded lines: vectorised fast path in DuckDB, the rest through the parser."""
        if not texts:
            return
        self.land_arrow(parser, pa.array(numbers, pa.int64()), pa.array(texts, pa.string()))

    def land_arrow(self, parser: Parser, numbers: pa.Array, texts: pa.Array) -> None:
        """:meth:`land` for lines already in Arrow (line numbers ascending)."""
        if not len(texts):
            return
        lines = pa.table({"line_no": numbers, "line": texts})
        # Classify once (fast: the vectorised SQL path applies), then insert the fast lines
        # from Arrow and hand the rest to the Python parser.
        classify, params = parser.classify()
        self.conn.register("_landing_lines", lines)
        try:
            fast = self.conn.execute(
                f"SELECT fast FROM ({classify}) ORDER BY line_no", params or None
            ).to_arrow_table()
        finally:
            self.conn.unregister("_landing_lines")
        fast_mask = fast.column(0).combine_chunks()
        classified = lines.append_column("fast", fast_mask)
        self.conn.register("_landing_class", classified)
        try:
            select, params = parser.fast_select()
            n = self.conn.execute(
                f"INSERT INTO {self.table} ({self.insert_cols}) "
                f"SELECT *, {self.meta_sql} FROM ({select})",
                params or None,
            ).fetchone()
            self.landed += int(n[0]) if n else 0
        finally:
            self.conn.unregister("_landing_class")
        slow = lines.filter(pc.invert(fast_mask))
        if slow.num_rows:
            slow_numbers = slow.column("line_no").to_pylist()
            slow_texts = slow.column("line").to_pylist()
            self.write(*parser.parse(slow_numbers, slow_texts))

    def write(
        self,
        columns: list[list[str | None] | None],
        extra: list[str | None] | None,
        numbers: list[int],
        rejects: list[Reject],
    ) -> None:
        if numbers:
            n = len(numbers)
            arrays = [
                pa.array(c, pa.string()) if c is not None else pa.nulls(n, pa.string())
                for c in columns
            ]
            arrays.append(pa.array(extra, pa.string()) if extra else pa.nulls(n, pa.string()))
            arrays.append(pa.array(numbers, pa.int64()))
            names = [*self.entity.columns, "_extra", "_line_number"]
            self.conn.register("_landing_rows", pa.Table.from_arrays(arrays, names=names))
            try:
                self.conn.execute(
                    f"INSERT INTO {self.table} ({self.insert_cols}) "
                    f"SELECT *, {self.meta_sql} FROM _landing_rows"
                )
            finally:
                self.conn.unregister("_landing_rows")
            self.landed += n
        self.reject(rejects)

    def reject(self, rejects: list[Reject]) -> None:
        if not rejects:
            return
        e = self.entity
        self.book.add_rejects(e.source, e.name, self.path, self.sha256, self.loaded_at, rejects)
        self.rejected += len(rejects)
        self.reasons.update(r[1] for r in rejects)
