"""The report `make run` ends with: rows per layer, what was rejected and why, where things are."""

from __future__ import annotations

from pathlib import Path

import duckdb

LAYERS = ("raw", "staging", "intermediate", "marts", "quarantine", "seeds")


def _tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return conn.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_schema in ({}) order by 1, 2
        """.format(", ".join(f"'{s}'" for s in LAYERS))
    ).fetchall()


def layer_row_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for schema, table in _tables(conn):
        n = conn.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        counts.setdefault(schema, {})[table] = n
    return counts


def _grouped(conn, sql: str) -> list[tuple]:
    try:
        return conn.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []


def build_summary(
    warehouse_path: Path, serving_dir: Path | None = None, exports_dir: Path | None = None
) -> str:
    if not warehouse_path.exists():
        return f"No warehouse at {warehouse_path} yet."
    try:
        conn = duckdb.connect(str(warehouse_path), read_only=True)
    except duckdb.IOException as exc:
        return f"Warehouse {warehouse_path} is busy (another process writes it): {exc}"
    try:
        counts = layer_row_counts(conn)
        lines = ["", "=== Marketing lakehouse: run summary ==="]
        for schema in LAYERS:
            tables = counts.get(schema, {})
            if not tables:
                continue
            lines.append(f"{schema:<13} {len(tables):>3} tables {sum(tables.values()):>12,} rows")
        rejects = _grouped(
            conn,
            "select entity, reason, count(*) from raw._rejects "
            "group by all order by 3 desc limit 15",
        )
        lines.append(f"landing rejects: {sum(r[2] for r in rejects):,} rows")
        lines += [f"  {e:<28} {reason[:60]:<60} {n:>9,}" for e, reason, n in rejects]
        quarantine_tables = sorted(counts.get("quarantine", {}))
        quarantined = []
        for table in quarantine_tables:
            quarantined += _grouped(
                conn,
                f"select entity, reason, count(*) from quarantine.{table} group by all",
            )
        quarantined.sort(key=lambda r: -r[2])
        lines.append(f"staging quarantine: {sum(r[2] for r in quarantined):,} rows")
        lines += [f"  {e:<28} {reason[:60]:<60} {n:>9,}" for e, reason, n in quarantined[:15]]
        dup = _grouped(conn, "select count(*) from raw._file_deliveries where status = 'duplicate'")
        if dup:
            lines.append(f"re-delivered files skipped: {dup[0][0]:,}")
        lines.append(f"warehouse (live, do not point BI here): {warehouse_path}")
        if serving_dir is not None:
            lines.append(f"marts for BI (read-only copy):         {serving_dir / 'marts.duckdb'}")
            lines.append(f"marts as Parquet:                      {serving_dir / 'parquet'}")
        lines += _audience_lines(conn, exports_dir)
        return "\n".join(lines)
    finally:
        conn.close()


def _audience_lines(conn, exports_dir: Path | None) -> list[str]:
    """Latest version of every audience, and where its files are."""
    latest = _grouped(
        conn,
        "select audience_code, version_number, member_customers, holdout_customers "
        "from marts.audience_versions "
        "where snapshot_date = (select max(snapshot_date) from marts.audience_versions) "
        "order by audience_code",
    )
    if not latest:
        return []
    lines = ["audiences (latest snapshot):   version   members   holdout"]
    lines += [f"  {code:<28} {v:>7} {n:>9,} {h:>9,}" for code, v, n, h in latest]
    if exports_dir is not None:
        lines.append(f"audience exports (hashed ids):         {exports_dir / 'audiences'}")
    return lines
