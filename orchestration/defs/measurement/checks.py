"""Asset check on marts.kpi_anomalies: warns with the flagged KPI rows of the latest days."""
# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

import dagster as dg

from orchestration.defs.serving.assets import DUCKDB_WRITER_POOL
from orchestration.lib.measurement import AnomalyReport, recent_anomalies
from orchestration.lib.settings import connect_warehouse

KPI_ANOMALIES_KEY = dg.AssetKey(["marts", "kpi_anomalies"])


def check_result(report: AnomalyReport) -> dg.AssetCheckResult:
    """WARN (not an error: the pipeline is fine, a KPI moved) with the flagged rows."""
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(report.rows)} KPI anomalies in the {report.days} days up to {report.latest_date}"
        ),
        metadata={
            "latest_date": dg.MetadataValue.text(str(report.latest_date)),
            "days": dg.MetadataValue.int(report.days),
            "flagged": dg.MetadataValue.int(len(report.rows)),
            "anomalies": dg.MetadataValue.json(report.rows[:50]),
        },
    )


@dg.asset_check(
    asset=KPI_ANOMALIES_KEY,
    name="no_recent_kpi_anomalies",
    description=(
        "Flags KPI x dimension days whose value left its same-weekday baseline "
        "(see docs/activation/measurement.md); the metadata lists them with the drill-down."
    ),
    blocking=False,
    pool=DUCKDB_WRITER_POOL,
)
def kpi_anomalies_check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    con = connect_warehouse(read_only=True)
    try:
        report = recent_anomalies(con)
    finally:
        con.close()
    context.log.info(f"{len(report.rows)} flagged KPI rows up to {report.latest_date}")
    return check_result(report)
