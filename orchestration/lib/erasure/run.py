"""The erasure procedure, step by step, in a crash-safe order (re-running it converges).

1. identify the person's terms (hashes, linked ids, order ids) in the live warehouse;
2. find their raw lines (landed rows and rejects) and plan the inbox rewrites (temp files);
3. commit the rewritten files' content hashes to the ledger, then swap the files in;
4. one transaction: delete from every table of every schema, and write the erasure log;
5. rebuild the warehouse file (no deleted bytes left), republish serving, drop old Parquet;
6. verify: SQL scan and byte grep; the log row gets ``verified``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from orchestration.lib.erasure import compact as compact_mod
from orchestration.lib.erasure import delete, match, rewrite
from orchestration.lib.erasure.catalog import tables
from orchestration.lib.erasure.identify import identify
from orchestration.lib.erasure.verify import Verification, describe, verify
from orchestration.lib.serving import PARQUET_DIR_NAME, SERVING_DB_NAME, publish_marts
from orchestration.lib.serving.files import clean_leftovers, publish_lock
from orchestration.lib.settings import Settings, connect_warehouse, duckdb_config, load_settings

log = logging.getLogger(__name__)


@dataclass
class ErasureReport:
    erasure_id: str
    dry_run: bool
    identifiers: dict[str, int]  # counts per id type, no values
    rows: dict[str, int]  # schema.table -> rows deleted (or that would be, in a dry run)
    files_rewritten: list[str]  # inbox-relative paths
    lines_removed: int
    warehouse_bytes: tuple[int, int] | None = None  # before, after compaction
    published: bool = False
    verification: Verification | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.dry_run or (self.verification is not None and self.verification.ok)

    def describe(self) -> str:
        mode = "DRY RUN (nothing changed)" if self.dry_run else "erasure"
        out = [f"{mode} {self.erasure_id}"]
        ids = ", ".join(f"{k}={v}" for k, v in self.identifiers.items())
        out.append(f"identifiers found: {ids}")
        verb = "would delete" if self.dry_run else "deleted"
        out.append(f"rows {verb}: {sum(self.rows.values())} in {len(self.rows)} table(s)")
        out += [f"  {t}: {n}" for t, n in sorted(self.rows.items())]
        verb = "would rewrite" if self.dry_run else "rewrote"
        n, lines = len(self.files_rewritten), self.lines_removed
        out.append(f"inbox files {verb}: {n} ({lines} line(s) removed)")
        out += [f"  {p}" for p in self.files_rewritten]
        if self.warehouse_bytes:
            out.append("warehouse rebuilt: {:,} -> {:,} bytes".format(*self.warehouse_bytes))
        if not self.dry_run:
            out.append(f"serving republished: {'yes' if self.published else 'no (none existed)'}")
        out += self.notes
        if self.verification is not None:
            out.append(describe(self.verification))
        return "\n".join(out)


def _republish(settings: Settings) -> bool:
    """Republish serving if it exists, then drop the previous Parquet version at once."""
    serving = settings.serving_dir
    if not (serving / SERVING_DB_NAME).exists() and not (serving / PARQUET_DIR_NAME).exists():
        return False
    # full: a new file, every Parquet file written anew; an incremental publish would start
    # from a copy of the old file, whose free blocks may still hold the erased rows.
    publish_marts(settings.warehouse_path, serving, config=duckdb_config(settings), full=True)
    with publish_lock(serving):
        clean_leftovers(serving, serving / PARQUET_DIR_NAME)
    return True


def erase(
    phones: list[str],
    emails: list[str],
    dry_run: bool = False,
    settings: Settings | None = None,
    ids: list[tuple[str, str]] | tuple[tuple[str, str], ...] = (),
) -> ErasureReport:
    settings = settings or load_settings()
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"warehouse {settings.warehouse_path} does not exist")
    erasure_id, requested_at = uuid.uuid4().hex, datetime.now(tz=UTC).replace(tzinfo=None)
    conn = connect_warehouse(settings)
    rewrites: list[rewrite.Rewrite] = []
    try:
        terms = identify(conn, phones, emails, ids=ids)
        all_tables = tables(conn)
        regex = terms.sql_regex()
        match.collect_lines(conn, all_tables, terms, regex)
        plan = rewrite.plan(settings.inbox_dir, match.lines_by_sha(conn), terms.line_pattern())
        report = ErasureReport(
            erasure_id,
            dry_run,
            terms.counts(),
            {},
            [rw.rel for rw in plan],
            sum(len(rw.drop) for rw in plan),
        )
        if dry_run:
            report.rows = delete.count_matches(conn, all_tables, terms)
            return report
        rewrites = plan
        for rw in rewrites:
            rewrite.write_temp(rw, erasure_id)
        conn.begin()
        rewrite.record(conn, all_tables, rewrites, requested_at)
        conn.commit()
        for rw in rewrites:
            rewrite.swap_in(rw)
        conn.begin()
        report.rows = delete.delete_rows(conn, all_tables, terms)
        delete.write_log(conn, erasure_id, requested_at, report.rows, len(rewrites))
        conn.commit()
    except BaseException:
        rewrite.discard(rewrites)
        raise
    finally:
        conn.close()

    c = compact_mod.compact(settings)
    report.warehouse_bytes = (c.bytes_before, c.bytes_after)
    report.published = _republish(settings)
    report.verification = verify(settings, terms)
    conn = connect_warehouse(settings)
    try:
        delete.finish_log(
            conn, erasure_id, datetime.now(tz=UTC).replace(tzinfo=None), report.verification.ok
        )
    finally:
        conn.close()
    log.info("erasure %s: %s rows deleted", erasure_id, sum(report.rows.values()))
    return report
