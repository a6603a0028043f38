"""Hand-made KPI, anomaly, retention, experiment and LTV marts, with the edges panels must handle.

Column names and types are copied by hand from the models that build them, NOT derived from the
mappings in orchestration/lib/dashboard/panels.py, so a mapping that names a column the real mart
lacks fails the dashboard tests:

* dbt_project/models/marts/measurement/{kpi_daily,kpi_anomalies,
  retention_cohorts}.sql and _measurement__models.yml;
* dbt_project/models/marts/measurement/experiments/
  experiment_readouts.py (COLUMNS) and experiment_srm_checks.py (schema);
* dbt_project/models/marts/ltv/_ltv__models.yml (customer_ltv contract).

The rows are small and hand-made, with the edges the panels must handle: non-overall KPI rows
(not shown), a KPI with no value on a day, unflagged anomaly rows (not shown), a flagged row
without drill-down, a zero baseline, cohorts not yet observable at 90 days, an experiment with
two treatment arms and one with a sample-ratio mismatch.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb

LAST_KPI_DATE = date(2026, 3, 31)

DDL = {
    "kpi_daily": """
        kpi_date date, kpi varchar, dimension varchar, dimension_value varchar, value double,
        numerator double, denominator double, volume bigint""",
    "kpi_anomalies": """
        kpi_date date, kpi varchar, dimension varchar, dimension_value varchar, value double,
        baseline double, spread double, z_score double, volume bigint, baseline_volume double,
        is_anomaly boolean, drilldown_dimension varchar, drilldown_value varchar,
        drilldown_z_score double""",
    "retention_cohorts": """
        cohort_week_date date, acquisition_channel varchar, customers integer,
        observable_7d integer, retained_7d integer, retention_7d_rate double,
        observable_30d integer, retained_30d integer, retention_30d_rate double,
        observable_90d integer, retained_90d integer, retention_90d_rate double""",
    "experiment_readouts": """
        experiment_id varchar, metric varchar, variant varchar, control_variant varchar,
        units_control bigint, units_variant bigint, mean_control double, mean_variant double,
        absolute_lift double, relative_lift double, standard_error double, ci_low double,
        ci_high double, confidence_level double, p_value double, test_method varchar,
        is_significant boolean, probability_to_beat_control double, cuped_theta double,
        cuped_absolute_lift double, cuped_standard_error double, cuped_ci_low double,
        cuped_ci_high double, cuped_p_value double, is_cuped_significant boolean,
        cuped_variance_reduction double, is_srm_flagged boolean""",
    "experiment_srm_checks": """
        experiment_id varchar, variants bigint, units bigint, designed_split varchar,
        observed_split varchar, chi_square double, degrees_of_freedom bigint, p_value double,
        p_value_threshold double, is_srm_flagged boolean""",
    "customer_ltv": """
        customer_id varchar, as_of_date date, frequency integer, recency_days integer,
        t_days integer, purchase_days integer, avg_net_spend_cny decimal(18, 2), p_alive double,
        expected_purchases_30d double, expected_purchases_90d double,
        expected_purchases_365d double, expected_spend_per_purchase_cny decimal(18, 2),
        predicted_value_1y_cny decimal(18, 2), predicted_value_1y_p10_cny decimal(18, 2),
        predicted_value_1y_p50_cny decimal(18, 2), predicted_value_1y_p90_cny decimal(18, 2),
        ltv_decile integer""",
}

# kpi_daily's accepted kpi values, with a plausible level for each (counts are whole numbers).
KPI_LEVELS = {
    "gmv_cny": 123456.789, "orders": 812.0, "aov_cny": 152.0371, "repurchase_rate": 0.2137,
    "rec_gmv_share": 0.1846, "ctr": 0.03125, "cvr": 0.0412, "ad_spend_cny": 20480.5,
    "new_customers": 97.0, "acquisition_cost_net_cny": 48.6625, "nps": 31.25,
}  # fmt: skip
KPIS = tuple(KPI_LEVELS)


def _kpi_rows() -> list[tuple]:
    rows = []
    for day in range(20):
        d = LAST_KPI_DATE - timedelta(days=day)
        for kpi, level in KPI_LEVELS.items():
            value = level * (1 + 0.01 * day)
            if level.is_integer():
                value = float(round(value))
            if kpi == "cvr" and day == 3:
                value = None  # no sessions that day
            rows.append((d, kpi, "overall", "all", value, value, None, 100 + day))
            # Slices: must not be mixed into the whole-business row.
            rows.append((d, kpi, "channel", "app", 7.0 + day, 7.0, None, 10))
    return rows


def _anomaly_rows() -> list[tuple]:
    def row(d, kpi, dim, val, value, baseline, z, flagged, drill=(None, None, None)):
        return (d, kpi, dim, val, value, baseline, 1.0, z, 50, 40.0, flagged, *drill)

    return [
        row(date(2026, 3, 20), "ctr", "overall", "all", 0.012, 0.031, -6.2, True,
            ("item", "sku_42", -9.5)),
        row(date(2026, 3, 20), "ctr", "item", "sku_42", 0.0021, 0.04, -9.5, True,
            ("item", "sku_42", -9.5)),
        row(date(2026, 3, 20), "ctr", "item", "sku_7", 0.039, 0.04, -0.2, False),
        row(date(2026, 3, 25), "gmv_cny", "overall", "all", 150432.5, 100210.25, 5.1, True,
            ("channel", "douyin", 7.25)),
        row(date(2026, 3, 26), "rec_gmv_share", "overall", "all", 0.31, 0.0, 4.4, True),
        row(date(2026, 3, 27), "orders", "overall", "all", 990.0, 1000.0, -0.1, False),
    ]  # fmt: skip


def _retention_rows() -> list[tuple]:
    rows = []
    for w in range(16):
        week = date(2026, 3, 30) - timedelta(weeks=w)
        days_seen = 7 * w + 1
        for channel, n in (("all", 200 + w), ("app", 80 + w)):
            cells = []
            for window, rate in ((7, 0.111), (30, 0.2345), (90, 0.3)):
                observable = n if days_seen >= window else 0
                retained = round(observable * rate)
                cells += [observable, retained, retained / observable if observable else None]
            rows.append((week, channel, n, *cells))
    return rows


def _readout(exp, metric, variant, n_c, n_t, m_c, m_t, p, prob, srm):
    diff = m_t - m_c
    return (
        exp, metric, variant, "control", n_c, n_t, m_c, m_t, diff, diff / m_c, 0.01,
        diff - 0.02, diff + 0.02, 0.95, p, "welch_t", p < 0.05, prob, 0.4, diff, 0.008,
        diff - 0.015, diff + 0.015, p / 3, p / 3 < 0.05, 0.36, srm,
    )  # fmt: skip


def _readout_rows() -> list[tuple]:
    return [
        _readout("exp_push_time", "conversion_rate", "evening", 5000, 5010, 0.05, 0.0561,
                 0.0132, 0.9934, False),
        _readout("exp_push_time", "revenue_per_unit_cny", "evening", 5000, 5010, 12.5, 12.25,
                 0.61, 0.31, False),
        _readout("exp_rec_algo", "conversion_rate", "two_tower", 4000, 4100, 0.06, 0.0662,
                 0.0004, 0.9998, False),
        _readout("exp_rec_algo", "conversion_rate", "item_cf", 4000, 3980, 0.06, 0.0595,
                 0.9, 0.45, False),
        _readout("exp_srm", "conversion_rate", "treatment", 3000, 3600, 0.05, 0.052, 0.5, 0.7,
                 True),
    ]  # fmt: skip


SRM_ROWS = [
    ("exp_push_time", 2, 10010, "control 0.5 / evening 0.5", "", 0.005, 1, 0.9436, 0.001, False),
    ("exp_rec_algo", 3, 12080, "", "", 1.9, 2, 0.3867, 0.001, False),
    ("exp_srm", 2, 6600, "", "", 54.5, 1, 1.5e-13, 0.001, True),
]  # fmt: skip


def create_other_marts(
    con: duckdb.DuckDBPyConnection,
    schema: str = "main",
    tables: tuple[str, ...] = tuple(DDL),
    customer_ids: list[str] | None = None,
) -> None:
    """Create and fill ``tables`` in ``schema``. customer_ltv gets one row per ``customer_ids``."""
    data = {
        "kpi_daily": _kpi_rows(),
        "kpi_anomalies": _anomaly_rows(),
        "retention_cohorts": _retention_rows(),
        "experiment_readouts": _readout_rows(),
        "experiment_srm_checks": SRM_ROWS,
    }
    for table in tables:
        con.execute(f"create or replace table {schema}.{table} ({DDL[table]})")
        if table == "customer_ltv":
            rows = [
                (cid, LAST_KPI_DATE, 3, 40, 200, 3, "55.10", (i % 10) / 10 + 0.05, 0.1, 0.3, 1.2,
                 "60.00", f"{(i % 17) * 12.34:.2f}", "1.00", "50.00", "300.00", i % 10 + 1)
                for i, cid in enumerate(customer_ids or ["c1", "c2", "c3"])
            ]  # fmt: skip
        else:
            rows = data[table]
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into {schema}.{table} values ({marks})", rows)
