"""Delete every row that refers to the person, one vectorised DELETE per table, and log it."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from orchestration.lib.erasure.catalog import Table, q
from orchestration.lib.erasure.match import (
    ERASURE_LOG,
    RAW_SCHEMA,
    is_bookkeeping,
    row_predicate,
)
from orchestration.lib.erasure.terms import PersonTerms

LOG_TABLE = f"{RAW_SCHEMA}.{ERASURE_LOG}"
# No identifier of the person here, not even a hash: only what was done, and how much.
LOG_DDL = f"""
create table if not exists {LOG_TABLE} (
    erasure_id varchar primary key,   -- random, not derived from the person
    requested_at timestamp not null,
    completed_at timestamp,
    tables_touched varchar,           -- JSON {{"schema.table": rows deleted}}
    rows_deleted bigint not null,
    files_rewritten integer not null,
    verified boolean                  -- NULL until the post-erasure scan has run
)"""


def count_matches(
    conn: duckdb.DuckDBPyConnection, all_tables: list[Table], terms: PersonTerms
) -> dict[str, int]:
    """Rows per table that an erasure would delete (the dry run)."""
    regex, out = terms.sql_regex(), {}
    for t in all_tables:
        pred = None if is_bookkeeping(t) else row_predicate(t, terms, regex, lineage=True)
        if pred and (n := conn.execute(f"select count(*) from {t.ref} where {pred}").fetchone()[0]):
            out[t.label] = n
    return out


def delete_rows(
    conn: duckdb.DuckDBPyConnection, all_tables: list[Table], terms: PersonTerms
) -> dict[str, int]:
    """DELETE in the caller's transaction; {schema.table: rows deleted} for tables touched."""
    regex, out = terms.sql_regex(), {}
    for t in all_tables:
        pred = None if is_bookkeeping(t) else row_predicate(t, terms, regex, lineage=True)
        if pred and (n := conn.execute(f"delete from {t.ref} where {pred}").fetchone()[0]):
            out[t.label] = n
    return out


def write_log(
    conn: duckdb.DuckDBPyConnection,
    erasure_id: str,
    requested_at: datetime,
    deleted: dict[str, int],
    files_rewritten: int,
) -> None:
    conn.execute(LOG_DDL)
    conn.execute(
        f"insert into {LOG_TABLE} (erasure_id, requested_at, tables_touched, rows_deleted, "
        "files_rewritten) values (?, ?, ?, ?, ?)",
        [
            erasure_id,
            requested_at,
            json.dumps(deleted, sort_keys=True),
            sum(deleted.values()),
            files_rewritten,
        ],
    )


def finish_log(
    conn: duckdb.DuckDBPyConnection, erasure_id: str, completed_at: datetime, verified: bool
) -> None:
    conn.execute(
        f"update {LOG_TABLE} set completed_at = ?, {q('verified')} = ? where erasure_id = ?",
        [completed_at, verified, erasure_id],
    )
