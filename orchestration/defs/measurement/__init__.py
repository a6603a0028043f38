from orchestration.defs.measurement.checks import KPI_ANOMALIES_KEY, kpi_anomalies_check

__all__ = ["KPI_ANOMALIES_KEY", "kpi_anomalies_check"]
