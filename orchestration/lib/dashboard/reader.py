"""Reads the panels from the published serving copy, and from nothing else.

One short hardened read-only connection per page (``connect_serving``): opened, every panel read,
closed. The publish swaps ``marts.duckdb`` atomically; since no connection stays open between
requests, the next page opens the new file (DuckDB caches one database instance per path per
process only while a connection to it is open; see docs/serving.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib.dashboard.panels import PANELS, Column, Panel
from orchestration.lib.serving import SERVING_DB_NAME, connect_serving
from orchestration.lib.settings import load_settings

log = logging.getLogger(__name__)

# Per-connection resources: the dashboard is a small reader next to the pipeline.
READER_CONFIG = {"threads": "1", "memory_limit": "512MB"}


@dataclass
class PanelResult:
    panel: Panel
    status: str  # ok | not_built | error | no_serving
    rows: list[dict] = field(default_factory=list)
    summary: dict | None = None
    message: str = ""
    missing_tables: tuple[str, ...] = ()


@dataclass
class DashboardSnapshot:
    serving_path: Path
    published: bool
    publish_id: str | None = None
    published_at: str | None = None
    tables: frozenset[str] = frozenset()
    panels: list[PanelResult] = field(default_factory=list)


def default_serving_path() -> Path:
    return load_settings().serving_dir / SERVING_DB_NAME


def _fetch(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _check_columns(panel: Panel, columns: Sequence[Column], rows: list[dict], sql: str) -> None:
    if rows:
        missing = [c.name for c in columns if c.name not in rows[0]]
        if missing:
            raise KeyError(f"panel {panel.key}: SQL result lacks {missing} ({sql[:60]}...)")


def _read_panel(
    conn: duckdb.DuckDBPyConnection, panel: Panel, tables: frozenset[str]
) -> PanelResult:
    missing = tuple(t for t in panel.tables if t not in tables)
    if missing:
        return PanelResult(
            panel,
            "not_built",
            missing_tables=missing,
            message="not built yet: " + ", ".join(f"marts.{t}" for t in missing) + " (尚未构建)",
        )
    try:
        rows = _fetch(conn, panel.sql)
        _check_columns(panel, panel.columns, rows, panel.sql)
        summary = None
        if panel.summary_sql:
            summary_rows = _fetch(conn, panel.summary_sql)
            _check_columns(panel, panel.summary_columns, summary_rows, panel.summary_sql)
            summary = summary_rows[0] if summary_rows else None
    except (duckdb.Error, KeyError) as exc:
        # Shown on the page: typically a mart whose columns changed (see the mappings in panels.py).
        log.warning("dashboard panel %s failed: %s", panel.key, exc)
        return PanelResult(panel, "error", message=f"cannot read: {exc}")
    return PanelResult(panel, "ok", rows=rows, summary=summary)


def read_dashboard(
    serving_path: Path | str | None = None, panels: Sequence[Panel] = PANELS
) -> DashboardSnapshot:
    """Every panel from one consistent version of the serving copy."""
    path = Path(serving_path) if serving_path else default_serving_path()
    if not path.exists():
        message = f"the serving copy is not published yet: {path} (run `make run`)"
        return DashboardSnapshot(
            path, False, panels=[PanelResult(p, "no_serving", message=message) for p in panels]
        )
    conn = connect_serving(path, extra_config=READER_CONFIG)
    try:
        tables = frozenset(
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = current_database() and table_schema = 'main'"
            ).fetchall()
        )
        snapshot = DashboardSnapshot(path, True, tables=tables)
        if "_published" in tables:
            row = conn.execute(
                "select min(publish_id), cast(max(published_at) as varchar) from _published"
            ).fetchone()
            snapshot.publish_id, snapshot.published_at = row
        snapshot.panels = [_read_panel(conn, p, tables) for p in panels]
    finally:
        conn.close()
    return snapshot
