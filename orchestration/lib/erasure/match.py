"""SQL predicates: does a row of a table refer to the person? Vectorised, one per table."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from orchestration.lib.erasure.catalog import Table, lit, q
from orchestration.lib.erasure.terms import PersonTerms

RAW_SCHEMA = "raw"
ERASURE_LOG = "_erasure_log"
# Bookkeeping with file paths, content hashes and counts only: never deleted from.
BOOKKEEPING = frozenset({"_file_ledger", "_file_deliveries", ERASURE_LOG})
# Temp table of the raw lines (landed or rejected) that belong to the person.
LINES = "temp.main.__erasure_lines"

# Lineage columns: staged/quarantined rows point back at their raw line.
LINEAGE = (("_source_file", "_line_number"), ("source_file", "line_number"))


def is_bookkeeping(t: Table) -> bool:
    return t.schema == RAW_SCHEMA and t.name in BOOKKEEPING


def content_predicate(t: Table, terms: PersonTerms, regex: str) -> str | None:
    """Row mentions a term in any text column (whole token), or a phone/e-mail column holds the
    person's phone / e-mail in any spelling. None when the table has no searchable column."""
    parts = []
    pattern = lit(regex)
    for c in t.text_columns():
        col = q(c)
        parts.append(f"regexp_matches({col}, {pattern})")
        low = c.lower()
        if "phone" in low and terms.phones:
            digits = ", ".join(
                lit(prefix + p) for p in terms.phones for prefix in ("", "86", "0086")
            )
            parts.append(f"regexp_replace({col}, '[^0-9]', '', 'g') in ({digits})")
        if "email" in low and terms.emails:
            emails = ", ".join(lit(e) for e in terms.emails)
            parts.append(f"lower(trim({col})) in ({emails})")
    for c in t.nested_columns():
        parts.append(f"regexp_matches(cast({q(c)} as varchar), {pattern})")
    return " or ".join(f"({p})" for p in parts) if parts else None


def lineage_predicate(t: Table) -> str | None:
    """Row derives from (or is) one of the person's raw lines in ``LINES``."""
    for file_col, line_col in LINEAGE:
        if t.has(file_col, line_col):
            return (
                f"({q(file_col)} || ':' || cast({q(line_col)} as varchar)) in "
                f"(select source_file || ':' || cast(line_number as varchar) from {LINES})"
            )
    return None


def row_predicate(t: Table, terms: PersonTerms, regex: str, lineage: bool) -> str | None:
    parts = [p for p in (content_predicate(t, terms, regex),) if p]
    if lineage and (lp := lineage_predicate(t)):
        parts.append(lp)
    return " or ".join(f"({p})" for p in parts) if parts else None


def collect_lines(
    conn: duckdb.DuckDBPyConnection, all_tables: list[Table], terms: PersonTerms, regex: str
) -> None:
    """Fill ``LINES`` with (source_file, file_sha256, line_number, landed) of the person's raw
    lines: landed rows of raw tables and rejected lines in raw._rejects."""
    conn.execute(
        f"create or replace temp table {LINES.split('.')[-1]} (source_file varchar, "
        "file_sha256 varchar, line_number bigint, landed boolean)"
    )
    for t in all_tables:
        if t.schema != RAW_SCHEMA or is_bookkeeping(t):
            continue
        if t.has("_source_file", "_file_sha256", "_line_number"):
            cols, landed = "_source_file, _file_sha256, _line_number", "true"
        elif t.has("source_file", "file_sha256", "line_number"):
            cols, landed = "source_file, file_sha256, line_number", "false"
        else:
            continue
        pred = content_predicate(t, terms, regex)
        if pred:
            conn.execute(
                f"insert into {LINES} select distinct {cols}, {landed} from {t.ref} where {pred}"
            )


def lines_by_sha(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[int, bool]]:
    """{file sha256: {line number: landed?}} of the person's raw lines."""
    out: dict[str, dict[int, bool]] = {}
    rows = conn.execute(
        f"select file_sha256, line_number, bool_or(landed) from {LINES} group by all"
    )
    for sha, line, landed in rows.fetchall():
        out.setdefault(sha, {})[line] = landed
    return out


def register_values(conn: duckdb.DuckDBPyConnection, name: str, values: set[str]) -> None:
    """A one-column relation ``name(v)`` of values, for joins (never per-row Python)."""
    conn.register(name, pa.table({"v": pa.array(sorted(values), pa.string())}))
