"""Land inbox files into DuckDB raw tables exactly once.

Per file: hash -> skip if the content is ledgered (record a 'duplicate' delivery) -> check gzip
and detect encoding -> decode and parse in batches (UTF-8: whole blocks of lines as Arrow arrays,
see :mod:`.fast`) -> hand the lines to the entity's batch. Per entity, not per file: the lines of
consecutive files of one entity are parsed and inserted together (:class:`.sink.EntityBatch`),
then each file's ledger and delivery rows are recorded with its final counts. Several files share
one transaction (committed every ~2M lines or 1,000 files), so a killed process leaves each file
either fully landed or not at all, and the next run lands what is missing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.lib.contract import SOURCES, Entity, entities_of

from .decode import Reject, decode_batch, open_lines, open_salvage, raw_text, scan_file
from .discover import InboxFile, discover
from .fast import block_lines
from .ledger import Bookkeeping, file_sha256
from .lines import LineBatch, LineBlock, block_to_batch, iter_line_batches, iter_line_blocks
from .parse_csv import CsvParser, read_header
from .parse_jsonl import JsonlParser
from .report import EntityReport, FileReport, LandingReport
from .sink import EntityBatch, FileSink, Parser
from .tables import ensure_tables, raw_table

log = logging.getLogger(__name__)

TXN_LINES = 2_000_000  # commit after this many lines ...
TXN_FILES = 1_000  # ... or this many files
# DuckDB threads while landing (None: leave the connection's setting). Measured on 2 cores: one
# thread inserts the same rows with ~40% less CPU and no more wall time than two (a parallel
# insert merges per-thread row groups and compresses twice as many partial segments).
THREADS: int | None = 1


class FileChangedError(RuntimeError):
    """The file's bytes changed between hashing and parsing: land it on a later run."""


def _utc_naive(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def land_source(
    conn_or_path: duckdb.DuckDBPyConnection | str | Path,
    inbox_dir: str | Path,
    source: str,
    *,
    now: datetime | None = None,
) -> LandingReport:
    """Land every new file under <inbox>/<source>/<entity>/. Safe to run again at any time."""
    if source not in SOURCES:
        raise KeyError(f"{source!r} is not a source of the inbox contract")
    if isinstance(conn_or_path, str | Path):
        Path(conn_or_path).parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(conn_or_path)) as conn:
            return land_source(conn, inbox_dir, source, now=now)
    conn = conn_or_path
    if THREADS is None:
        return _land_source(conn, inbox_dir, source, now)
    (threads,) = conn.execute("SELECT current_setting('threads')").fetchone()
    conn.execute(f"SET threads = {int(THREADS)}")
    try:
        return _land_source(conn, inbox_dir, source, now)
    finally:
        conn.execute(f"SET threads = {int(threads)}")


def _land_source(
    conn: duckdb.DuckDBPyConnection, inbox_dir: str | Path, source: str, now: datetime | None
) -> LandingReport:
    loaded_at = _utc_naive(now)
    conn.execute("SET enable_progress_bar = false")  # keep run logs clean
    ensure_tables(conn, source)
    files, ignored = discover(Path(inbox_dir), source)
    report = LandingReport(source=source, ignored=ignored)
    results: dict[str, FileReport] = {}
    book = Bookkeeping(conn)
    batch = EntityBatch(conn)
    pending: list[InboxFile] = []
    pending_lines = 0

    def retry_alone(exc: Exception, f: InboxFile | None) -> None:
        conn.rollback()
        book.discard()
        batch.discard()
        retry = [*pending, f] if f is not None else pending
        log.warning("landing %s failed (%s); retrying its transaction file by file", retry, exc)
        for other in retry:
            results[other.rel] = _land_file_alone(conn, book, batch, other, loaded_at)

    conn.begin()
    for f in files:
        try:
            fr = _land_file(book, batch, f, loaded_at)
        except Exception as exc:  # a bug or a file changing under us: isolate it
            retry_alone(exc, f)
            pending, pending_lines = [], 0
            conn.begin()
            continue
        results[f.rel] = fr
        pending.append(f)
        pending_lines += fr.lines
        if pending_lines >= TXN_LINES or len(pending) >= TXN_FILES:
            _flush_commit(conn, book, batch, retry_alone)
            pending, pending_lines = [], 0
            conn.begin()
    _flush_commit(conn, book, batch, retry_alone)
    report.files = [results[f.rel] for f in files]
    _summarise(conn, report, source)
    return report


def _flush_commit(
    conn: duckdb.DuckDBPyConnection, book: Bookkeeping, batch: EntityBatch, on_error
) -> None:
    """Write the pooled rows and the bookkeeping rows and commit; a failure retries file by
    file."""
    try:
        batch.flush()
        book.flush()
    except Exception as exc:
        on_error(exc, None)
        return
    conn.commit()
    book.committed()


def land_inbox(
    conn_or_path: duckdb.DuckDBPyConnection | str | Path,
    inbox_dir: str | Path,
    *,
    now: datetime | None = None,
) -> dict[str, LandingReport]:
    """Land every source of the contract, in contract order."""
    if isinstance(conn_or_path, str | Path):
        Path(conn_or_path).parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(conn_or_path)) as conn:
            return land_inbox(conn, inbox_dir, now=now)
    now = now or datetime.now(UTC)
    return {s: land_source(conn_or_path, inbox_dir, s, now=now) for s in SOURCES}


def _land_file_alone(
    conn: duckdb.DuckDBPyConnection,
    book: Bookkeeping,
    batch: EntityBatch,
    f: InboxFile,
    loaded_at: datetime,
) -> FileReport:
    conn.begin()
    try:
        fr = _land_file(book, batch, f, loaded_at)
        batch.flush()
        book.flush()
    except Exception as exc:
        conn.rollback()
        book.discard()
        batch.discard()
        log.exception("landing %s failed; it stays unledgered and is retried next run", f.rel)
        return FileReport(
            f.rel,
            f.entity.source,
            f.entity.name,
            "",
            0,
            "error",
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
    conn.commit()
    book.committed()
    return fr


def _land_file(
    book: Bookkeeping, batch: EntityBatch, f: InboxFile, loaded_at: datetime
) -> FileReport:
    """Land one file inside the caller's transaction (bookkeeping rows kept in ``book``, lines
    pooled in ``batch``). The report's row counts, and its ledger and delivery rows, are
    completed when the batch is flushed."""
    sha, size = file_sha256(f.path)
    fr = FileReport(f.rel, f.entity.source, f.entity.name, sha, size, "landed")
    first = book.ledgered_path(sha)
    if first is not None:
        if book.delivery_seen(f.rel, sha):
            fr.status = "seen"
            return fr
        fr.status = "duplicate"
        book.record_delivery(fr, loaded_at, reason=f"same content as {first}")
        return fr
    book.claim(sha, f.rel)  # a later copy in this run is a duplicate, even before the flush
    sink = FileSink(batch, f.entity, f.rel, sha, loaded_at, book)
    skip_header = f.format == "csv"
    if f.format != f.entity.format:
        fr.encoding = None
        fr.error = f"wrong format: {f.entity.key} expects {f.entity.format}, got {f.format}"
        fr.lines = _reject_all(f, sha, sink, "utf-8", fr.error, skip_header)
    else:
        scan = scan_file(f.path)
        fr.encoding = scan.encoding
        if scan.file_error:
            fr.error = scan.file_error
            fr.lines = _reject_all(f, sha, sink, scan.encoding, scan.file_error, skip_header)
        else:
            fr.lines, fr.error = _parse_file(f, sha, sink, scan.encoding)
    if fr.error:
        fr.status = "rejected"

    def complete(sink: FileSink) -> None:
        fr.rows_landed, fr.rows_rejected, fr.reasons = sink.landed, sink.rejected, sink.reasons
        if fr.lines != fr.rows_landed + fr.rows_rejected:  # the landing invariant
            raise AssertionError(
                f"{f.rel}: {fr.lines} lines != {fr.rows_landed} + {fr.rows_rejected}"
            )
        book.record_file(fr, loaded_at)
        book.record_delivery(fr, loaded_at)

    sink.close(complete)
    return fr


def _parser(entity: Entity, header: str | None) -> tuple[Parser, str | None]:
    """Parser for the file, and a whole-file reject reason (schema drift) if any."""
    if entity.format == "jsonl":
        return JsonlParser(entity), None
    layout = read_header(entity, header or "")
    parser = CsvParser(entity, layout)
    if layout.missing_required:
        missing = ", ".join(layout.missing_required)
        return parser, f"schema drift: missing required columns {missing}"
    return parser, None


def _parse_file(f: InboxFile, sha: str, sink: FileSink, encoding: str) -> tuple[int, str | None]:
    """Decode and land the file's lines: (lines counted, whole-file error).

    UTF-8 files (most) go block by block through Arrow (:mod:`.fast`) without a Python object
    per line; blocks holding an over-long line, and files in another encoding, line by line.
    """
    lines = _FileLines(f, sink)
    with open_lines(f.path) as (stream, hashing):
        if encoding == "utf-8" and FAST_BLOCKS:
            for item in iter_line_blocks(stream):
                arrays = block_lines(item) if isinstance(item, LineBlock) else None
                if arrays is not None:
                    lines.arrow(*arrays)
                    continue
                batch = block_to_batch(item) if isinstance(item, LineBlock) else item
                lines.batch(batch, encoding)
        else:
            for batch in iter_line_batches(stream):
                lines.batch(batch, encoding)
        if hashing.drain() != sha:
            raise FileChangedError(f"{f.rel} changed while landing")
    return lines.count, lines.drift


FAST_BLOCKS = True  # False: every line through the per-line path (tests compare the two)


class _FileLines:
    """Lines of one file, in order, as per-line batches or Arrow blocks: header, drift, land."""

    def __init__(self, f: InboxFile, sink: FileSink) -> None:
        self.f = f
        self.sink = sink
        self.count = 0
        self.parser: Parser | None = None
        self.drift: str | None = None

    def batch(self, batch: LineBatch, encoding: str) -> None:
        numbers, texts, rejects = decode_batch(batch, encoding)
        count = len(batch.lines)
        if self.parser is None:
            header = None
            if self.f.format == "csv":  # line 1 is the header, not counted
                count -= 1
                if numbers and numbers[0] == 1:
                    header, numbers, texts = texts[0], numbers[1:], texts[1:]
                else:
                    rejects = [r for r in rejects if r[0] != 1]
            self.parser, self.drift = _parser(self.f.entity, header)
        self.count += count
        if self.drift:
            drift = self.drift
            rejects = sorted(
                [(n, drift, t[:1000]) for n, t in zip(numbers, texts, strict=True)]
                + [(n, drift, raw) for n, _, raw in rejects]
            )
            self.sink.reject(rejects)
            return
        self.sink.land(self.parser, numbers, texts)
        self.sink.reject(rejects)

    def arrow(self, numbers: pa.Int64Array, texts: pa.Array) -> None:
        count = len(texts)
        if self.parser is None:  # the first block starts at line 1
            header = None
            if self.f.format == "csv":
                count -= 1
                header = texts[0].as_py()
                numbers, texts = numbers[1:], texts[1:]
            self.parser, self.drift = _parser(self.f.entity, header)
        self.count += count
        if self.drift:
            drift = self.drift
            self.sink.reject(
                [
                    (n, drift, t[:1000])
                    for n, t in zip(numbers.to_pylist(), texts.to_pylist(), strict=True)
                ]
            )
            return
        self.sink.land_arrow(self.parser, numbers, texts)


def _reject_all(
    f: InboxFile, sha: str, sink: FileSink, encoding: str, reason: str, skip_header: bool
) -> int:
    """Reject every readable line of a file with one reason; returns the line count."""
    lines = 0
    with open_salvage(f.path) as (stream, hashing):
        for batch in iter_line_batches(stream):
            rejects: list[Reject] = []
            for i, line in enumerate(batch.lines):
                number = batch.first_line + i
                if skip_header and number == 1:
                    continue
                raw = batch.too_long.get(i, line)
                rejects.append((number, reason, raw_text(raw, encoding)))
            lines += len(rejects)
            sink.reject(rejects)
        if hashing.drain() != sha:
            raise FileChangedError(f"{f.rel} changed while landing")
    return lines


def _summarise(conn: duckdb.DuckDBPyConnection, report: LandingReport, source: str) -> None:
    for ent in entities_of(source):
        er = EntityReport(source, ent.name)
        for fr in report.files:
            if fr.entity != ent.name:
                continue
            if fr.status in ("landed", "rejected"):
                er.files_new += 1
                er.files_rejected += fr.status == "rejected"
                er.lines += fr.lines
                er.rows_landed += fr.rows_landed
                er.rows_rejected += fr.rows_rejected
                er.reasons.update(fr.reasons)
            elif fr.status == "duplicate":
                er.files_duplicate += 1
            elif fr.status == "seen":
                er.files_seen += 1
            else:
                er.files_error += 1
        row = conn.execute(f"SELECT count(*) FROM {raw_table(ent)}").fetchone()
        er.table_rows = int(row[0]) if row else 0
        report.entities[ent.name] = er
