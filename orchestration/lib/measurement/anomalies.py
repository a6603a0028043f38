"""Flagged KPI anomalies of the latest days, for the Dagster asset check on kpi_anomalies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

ANOMALY_COLUMNS = (
    "kpi_date",
    "kpi",
    "dimension",
    "dimension_value",
    "value",
    "baseline",
    "z_score",
    "drilldown_dimension",
    "drilldown_value",
)


@dataclass
class AnomalyReport:
    latest_date: dt.date | None
    days: int
    rows: list[dict] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.rows


def _check_days(con: duckdb.DuckDBPyConnection, seeds_schema: str) -> int:
    row = con.execute(
        f"select value from {seeds_schema}.measurement_parameters "
        "where parameter = 'anomaly_check_days'"
    ).fetchone()
    return int(row[0]) if row else 7


def recent_anomalies(
    con: duckdb.DuckDBPyConnection,
    marts_schema: str = "marts",
    seeds_schema: str = "seeds",
    days: int | None = None,
) -> AnomalyReport:
    """Flagged rows of marts.kpi_anomalies dated within `days` (seed anomaly_check_days when
    None) of its latest date, biggest |z| first."""
    days = _check_days(con, seeds_schema) if days is None else days
    latest = con.execute(f"select max(kpi_date) from {marts_schema}.kpi_anomalies").fetchone()[0]
    if latest is None:
        return AnomalyReport(None, days)
    cols = ", ".join(ANOMALY_COLUMNS)
    cur = con.execute(
        f"select {cols} from {marts_schema}.kpi_anomalies "
        "where is_anomaly and kpi_date > ? "
        "order by kpi_date desc, abs(z_score) desc, kpi, dimension, dimension_value",
        [latest - dt.timedelta(days=days)],
    )
    rows = [dict(zip(ANOMALY_COLUMNS, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["kpi_date"] = r["kpi_date"].isoformat()
        for k in ("value", "baseline", "z_score"):
            r[k] = None if r[k] is None else round(float(r[k]), 4)
    return AnomalyReport(latest, days, rows)
