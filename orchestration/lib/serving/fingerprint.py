"""Content fingerprints of relations, to publish only the tables (and partitions) that changed.

A fingerprint is the ordered column names and types, the row count and the sum of DuckDB's
64-bit ``hash`` of every whole row. The sum does not depend on row order and does not wrap (it
is a HUGEINT), so two relations with the same rows, as a multiset, get the same fingerprint, and
a changed, added or removed row changes it unless hashes collide (about 2^-64). Fingerprints are
compared only within one process, so a DuckDB upgrade that changes ``hash`` cannot mislead them.
"""

from __future__ import annotations

import duckdb

# Alias of the row as a struct: ``hash(alias)`` hashes every column. A column of that name
# would shadow the alias, so relations with one get no fingerprint (they are always copied).
ROW_ALIAS = "__publish_row"


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[tuple[str, str], ...]:
    rows = con.execute(f"select column_name, column_type from (describe {relation})")
    return tuple(rows.fetchall())


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> tuple | None:
    """(columns, rows, hash sum) of ``relation``; None when it cannot be fingerprinted."""
    cols = columns(con, relation)
    if any(name == ROW_ALIAS for name, _ in cols):
        return None
    rows, hashed = con.execute(
        f"select count(*), coalesce(sum(hash({ROW_ALIAS})), 0) from {relation} as {ROW_ALIAS}"
    ).fetchone()
    return cols, rows, hashed


def partition_fingerprints(
    con: duckdb.DuckDBPyConnection, relation: str, column: str
) -> dict[object, tuple[int, int]]:
    """{partition value: (rows, hash sum)} of ``relation`` split by ``column`` (a quoted name)."""
    rows = con.execute(
        f"select {column}, count(*), sum(hash({ROW_ALIAS})) from {relation} as {ROW_ALIAS} "
        f"group by {column}"
    ).fetchall()
    return {value: (n, hashed) for value, n, hashed in rows}
