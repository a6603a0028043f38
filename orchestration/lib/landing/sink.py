"""Write files' rows and rejects into DuckDB from Arrow batches (never row by row).

Lines of consecutive files of one entity (same raw table, same parser) are pooled in an
:class:`EntityBatch` and landed with a few statements per batch, not per file: at 7,800 small
files a scale-s inbox spent most of its landing time in per-file statements. Each file keeps its
own :class:`FileSink` for its counts, which are final once the batch holding its last lines has
been written (:meth:`EntityBatch.flush`, which the loader calls before every commit).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.lib.contract import Entity

from .decode import Reject
from .ledger import Bookkeeping
from .tables import raw_table, sql_ts

ParseResult = tuple[list[list[str | None] | None], list[str | None] | None, list[int], list[Reject]]

# Lines pooled before a batch is written (~100 MB of Arrow text at typical line lengths).
BATCH_LINES = 300_000


class Parser(Protocol):
    def classify(self) -> tuple[str, dict[str, object]]: ...
    def fast_select(self) -> tuple[str, dict[str, object]]: ...
    def parse(self, numbers: list[int], texts: list[str]) -> ParseResult: ...


class FileSink:
    """Rows and rejects of one inbox file; the caller owns the transaction. Rows go through the
    shared :class:`EntityBatch`, rejects are kept by the :class:`Bookkeeping`."""

    def __init__(
        self,
        batch: EntityBatch,
        entity: Entity,
        path: str,
        sha256: str,
        loaded_at: datetime,
        book: Bookkeeping,
    ) -> None:
        self.batch = batch
        self.book = book
        self.path, self.sha256, self.loaded_at = path, sha256, loaded_at
        self.entity = entity
        self.table = raw_table(entity)
        self.landed = 0
        self.rejected = 0
        self.reasons: Counter[str] = Counter()
        self._on_complete: Callable[[FileSink], None] | None = None
        batch.track(self)

    def land(self, parser: Parser, numbers: list[int], texts: list[str]) -> None:
        """Land decoded lines: vectorised fast path in DuckDB, the rest through the parser."""
        if not texts:
            return
        self.land_arrow(parser, pa.array(numbers, pa.int64()), pa.array(texts, pa.string()))

    def land_arrow(self, parser: Parser, numbers: pa.Array, texts: pa.Array) -> None:
        """:meth:`land` for lines already in Arrow (line numbers ascending)."""
        if len(texts):
            self.batch.add(self, parser, numbers, texts)

    def reject(self, rejects: list[Reject]) -> None:
        if not rejects:
            return
        e = self.entity
        self.book.add_rejects(e.source, e.name, self.path, self.sha256, self.loaded_at, rejects)
        self.rejected += len(rejects)
        self.reasons.update(r[1] for r in rejects)

    def close(self, on_complete: Callable[[FileSink], None]) -> None:
        """Every line of the file has been handed over: ``on_complete(self)`` runs once its rows
        are written (at the batch's next flush), when the counts are final."""
        self._on_complete = on_complete

    @property
    def closed(self) -> bool:
        return self._on_complete is not None

    def complete(self) -> None:
        assert self._on_complete is not None
        self._on_complete(self)


class EntityBatch:
    """Lines of consecutive files of one raw table and parser, written in a few statements.

    Fast lines (the parser's vectorised SQL) go in one INSERT per batch; the rest are parsed in
    Python file by file and inserted together. Raw rows carry their file's path and content hash
    as columns. :meth:`discard` after a rollback.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, batch_lines: int = BATCH_LINES) -> None:
        self.conn = conn
        self.batch_lines = batch_lines
        self.discard()

    def discard(self) -> None:
        self._sinks: list[FileSink] = []  # tracked, not yet complete, in file order
        self._parts: list[tuple[FileSink, pa.Array, pa.Array]] = []
        self._parser: Parser | None = None
        self._key: tuple | None = None
        self._lines = 0

    def track(self, sink: FileSink) -> None:
        self._sinks.append(sink)

    def add(self, sink: FileSink, parser: Parser, numbers: pa.Array, texts: pa.Array) -> None:
        key = (sink.table, sink.loaded_at, repr(parser.classify()), repr(parser.fast_select()))
        if key != self._key:
            self._write()
            self._key, self._parser = key, parser
        self._parts.append((sink, numbers, texts.cast(pa.large_string())))
        self._lines += len(texts)
        if self._lines >= self.batch_lines:
            self._write()

    def flush(self) -> None:
        """Write the pooled lines, then complete every closed file (in file order)."""
        self._write()
        done = [s for s in self._sinks if s.closed]
        self._sinks = [s for s in self._sinks if not s.closed]
        for sink in done:
            sink.complete()

    def _write(self) -> None:
        parts, parser = self._parts, self._parser
        self._parts, self._lines = [], 0
        if not parts or parser is None:
            return
        sinks = list(dict.fromkeys(s for s, _, _ in parts))
        index = {id(s): i for i, s in enumerate(sinks)}
        sizes = np.fromiter((len(t) for _, _, t in parts), np.int64, len(parts))
        file_no = np.repeat(
            np.fromiter((index[id(s)] for s, _, _ in parts), np.int32, len(parts)), sizes
        )
        n = int(sizes.sum())
        file_idx = pa.array(file_no)
        lines = pa.table(
            {
                "row_no": pa.array(np.arange(n, dtype=np.int64)),
                "line_no": pa.chunked_array([p[1] for p in parts], pa.int64()),
                "line": pa.chunked_array([p[2] for p in parts], pa.large_string()),
                "_source_file": pc.take(pa.array([s.path for s in sinks], pa.string()), file_idx),
                "_file_sha256": pc.take(pa.array([s.sha256 for s in sinks], pa.string()), file_idx),
                "file_no": file_idx,
            }
        )
        fast_mask = self._classify(parser, lines)
        fast = fast_mask.to_numpy(zero_copy_only=False)
        landed = self._insert_fast(parser, sinks[0], lines.append_column("fast", fast_mask))
        per_file = np.bincount(file_no[fast], minlength=len(sinks))
        if landed != int(per_file.sum()):  # never expected: every fast line is one row
            raise AssertionError(f"{sinks[0].table}: {landed} rows from {per_file.sum()} lines")
        for sink, count in zip(sinks, per_file.tolist(), strict=True):
            sink.landed += count
        if not fast.all():
            self._land_slow(parser, sinks, lines.filter(pc.invert(fast_mask)))

    def _classify(self, parser: Parser, lines: pa.Table) -> pa.Array:
        classify, params = parser.classify()
        self.conn.register("_landing_lines", lines)
        try:
            fast = self.conn.execute(
                f"SELECT fast FROM ({classify}) ORDER BY row_no", params or None
            ).to_arrow_table()
        finally:
            self.conn.unregister("_landing_lines")
        return fast.column(0).combine_chunks()

    def _insert_fast(self, parser: Parser, sink: FileSink, classified: pa.Table) -> int:
        self.conn.register("_landing_class", classified)
        try:
            select, params = parser.fast_select()
            cols = _insert_columns(sink.entity)
            row = self.conn.execute(
                f"INSERT INTO {sink.table} ({cols}) "
                f"SELECT *, {sql_ts(sink.loaded_at)} FROM ({select})",
                params or None,
            ).fetchone()
        finally:
            self.conn.unregister("_landing_class")
        return int(row[0]) if row else 0

    def _land_slow(self, parser: Parser, sinks: list[FileSink], slow: pa.Table) -> None:
        """Parse the remaining lines in Python, file by file, and insert their rows at once."""
        entity = sinks[0].entity
        width = len(entity.columns)
        columns: list[list[str | None]] = [[] for _ in range(width)]
        extras: list[str | None] = []
        numbers: list[int] = []
        paths: list[str] = []
        shas: list[str] = []
        files = slow.column("file_no").to_numpy()
        line_nos = slow.column("line_no").to_pylist()
        texts = slow.column("line").to_pylist()
        # rows of one file are contiguous: cut where the file number changes
        cuts = [0, *(np.flatnonzero(np.diff(files)) + 1).tolist(), len(files)]
        for start, end in zip(cuts[:-1], cuts[1:], strict=True):
            sink = sinks[int(files[start])]
            cols, extra, kept, rejects = parser.parse(line_nos[start:end], texts[start:end])
            k = len(kept)
            for i, c in enumerate(cols):
                columns[i].extend(c if c is not None else [None] * k)
            extras.extend(extra if extra is not None else [None] * k)
            numbers.extend(kept)
            paths.extend([sink.path] * k)
            shas.extend([sink.sha256] * k)
            sink.landed += k
            sink.reject(rejects)
        if not numbers:
            return
        arrays = [pa.array(c, pa.string()) for c in columns]
        arrays += [
            pa.array(extras, pa.string()),
            pa.array(numbers, pa.int64()),
            pa.array(paths, pa.string()),
            pa.array(shas, pa.string()),
        ]
        names = [*entity.columns, "_extra", "_line_number", "_source_file", "_file_sha256"]
        self.conn.register("_landing_rows", pa.Table.from_arrays(arrays, names=names))
        try:
            self.conn.execute(
                f"INSERT INTO {sinks[0].table} ({_insert_columns(entity)}) "
                f"SELECT *, {sql_ts(sinks[0].loaded_at)} FROM _landing_rows"
            )
        finally:
            self.conn.unregister("_landing_rows")


def _insert_columns(entity: Entity) -> str:
    cols = ", ".join(f'"{c}"' for c in entity.columns)
    return f"{cols}, _extra, _line_number, _source_file, _file_sha256, _loaded_at"
