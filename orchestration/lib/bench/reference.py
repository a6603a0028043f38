"""The plain reference for landing: what DuckDB alone takes to bulk-load the same inbox files.

One ``CREATE TABLE ... AS SELECT * FROM read_csv(...)`` / ``read_json(...)`` per entity over all of
its files, every column as text, bad lines skipped (``ignore_errors``), into a scratch database.
No ledger, no line numbers, no rejects, no encodings other than UTF-8, no idempotence: the floor
that landing's bookkeeping is measured against (issue 12 target: landing within 2x of it).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.lib.contract import SOURCES, entities_of
from orchestration.lib.landing.discover import discover


def plain_bulk_load(inbox: Path, scratch_db: Path) -> dict:
    """Load every entity's files; returns rows loaded and entities DuckDB could not read."""
    scratch_db.unlink(missing_ok=True)
    rows, failed = 0, {}
    with duckdb.connect(str(scratch_db)) as conn:
        conn.execute("SET enable_progress_bar = false")
        for source in SOURCES:
            files, _ = discover(inbox, source)
            for entity in entities_of(source):
                paths = [str(f.path) for f in files if f.entity == entity]
                if not paths:
                    continue
                reader = (
                    "read_csv(?, all_varchar = true, ignore_errors = true, filename = true)"
                    if entity.format == "csv"
                    else "read_json(?, format = 'newline_delimited', ignore_errors = true, "
                    "filename = true)"
                )
                table = f"{entity.source}_{entity.name}"
                try:
                    conn.execute(f"CREATE TABLE {table} AS SELECT * FROM {reader}", [paths])
                except duckdb.Error as exc:  # reported, not hidden: the reference is then partial
                    failed[table] = str(exc).splitlines()[0][:200]
                    continue
                rows += conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    scratch_db.unlink(missing_ok=True)
    return {"rows": rows, "failed": failed}
