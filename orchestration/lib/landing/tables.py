"""DDL for raw tables and landing bookkeeping. Every statement is idempotent."""

from __future__ import annotations

from datetime import datetime

import duckdb

from orchestration.lib.contract import RAW_SCHEMA, Entity, entities_of

LEDGER = f"{RAW_SCHEMA}._file_ledger"
DELIVERIES = f"{RAW_SCHEMA}._file_deliveries"
REJECTS = f"{RAW_SCHEMA}._rejects"

# One row per distinct file content (sha256): the file that landed it and what it yielded.
LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER} (
    sha256 VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    rows_landed BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    encoding VARCHAR,
    status VARCHAR NOT NULL,   -- landed | rejected (whole file)
    error VARCHAR,             -- whole-file reason when rejected
    landed_at TIMESTAMP NOT NULL
)"""

# One row per (path, content) seen in the inbox.
DELIVERIES_DDL = f"""
CREATE TABLE IF NOT EXISTS {DELIVERIES} (
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    status VARCHAR NOT NULL,   -- landed | duplicate | rejected
    reason VARCHAR,
    delivered_at TIMESTAMP NOT NULL,
    PRIMARY KEY (path, sha256)
)"""

REJECTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {REJECTS} (
    source VARCHAR NOT NULL,
    entity VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    line_number BIGINT NOT NULL,
    reason VARCHAR NOT NULL,
    raw_line VARCHAR,           -- first 1,000 characters
    rejected_at TIMESTAMP NOT NULL
)"""

REJECT_COLUMNS = ("line_number", "reason", "raw_line")


def sql_str(value: str) -> str:
    """A SQL string literal (DuckDB reads only the quote specially in '...'). For values known
    to be free of NUL (paths, hashes): hot statements avoid Python parameters, which cost far
    more than the statement (duckdb probes for optional modules on every conversion)."""
    if "\x00" in value:
        raise ValueError("NUL in a SQL literal")
    return "'" + value.replace("'", "''") + "'"


def sql_ts(value: datetime) -> str:
    """A TIMESTAMP literal of a naive datetime, to the microsecond."""
    return f"TIMESTAMP '{value.isoformat(sep=' ', timespec='microseconds')}'"


def raw_table(entity: Entity) -> str:
    return f"{RAW_SCHEMA}.{entity.raw_table}"


def raw_table_ddl(entity: Entity) -> str:
    cols = [f'"{c}" VARCHAR' for c in entity.columns] + [
        "_extra VARCHAR",
        "_source_file VARCHAR NOT NULL",
        "_file_sha256 VARCHAR NOT NULL",
        "_line_number BIGINT NOT NULL",
        "_loaded_at TIMESTAMP NOT NULL",
    ]
    return f"CREATE TABLE IF NOT EXISTS {raw_table(entity)} (\n    " + ",\n    ".join(cols) + "\n)"


def ensure_tables(conn: duckdb.DuckDBPyConnection, source: str) -> None:
    """Create the raw schema, bookkeeping tables and the source's raw tables if missing.

    A declared column added to the contract later is added to an existing raw table (NULL for
    rows landed before).
    """
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    for ddl in (LEDGER_DDL, DELIVERIES_DDL, REJECTS_DDL):
        conn.execute(ddl)
    for ent in entities_of(source):
        conn.execute(raw_table_ddl(ent))
        have = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = ? AND table_name = ?",
                [RAW_SCHEMA, ent.raw_table],
            ).fetchall()
        }
        for col in ent.columns:
            if col not in have:
                conn.execute(f'ALTER TABLE {raw_table(ent)} ADD COLUMN "{col}" VARCHAR')
