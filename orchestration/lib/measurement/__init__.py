"""Measurement helpers (issue 11): reading the KPI anomaly mart for alerts."""

from orchestration.lib.measurement.anomalies import AnomalyReport, recent_anomalies

__all__ = ["AnomalyReport", "recent_anomalies"]
