"""Dashboard panels on a tiny hand-made serving file: the marts of the parts still being built
(experiments, KPIs, anomalies, LTV) read through the column mappings in panels.py and compared
with Python recomputations; absent marts say "not built yet"; a mart whose columns do not match
says so; no serving file at all says so. The browser test on a real build:
tests/e2e/test_dashboard.py."""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import pytest

from orchestration.lib.dashboard import formatting
from orchestration.lib.dashboard.app import render_page
from orchestration.lib.dashboard.panels import (
    EXPERIMENT_READOUT_COLUMNS,
    EXPERIMENT_SRM_COLUMNS,
    KPI_ANOMALY_COLUMNS,
    KPI_DAILY_COLUMNS,
    LTV_COLUMNS,
    PANELS,
)
from orchestration.lib.dashboard.reader import read_dashboard

LAST = date(2026, 3, 31)


@pytest.fixture
def serving(tmp_path):
    """A serving-like file with the other parts' marts under the names the mappings expect."""
    path = tmp_path / "marts.duckdb"
    con = duckdb.connect(str(path))
    r, s, k, a, ltv = (
        EXPERIMENT_READOUT_COLUMNS,
        EXPERIMENT_SRM_COLUMNS,
        KPI_DAILY_COLUMNS,
        KPI_ANOMALY_COLUMNS,
        LTV_COLUMNS,
    )
    con.execute(
        f"create table experiment_readouts ({r['experiment_id']} varchar, {r['metric']} varchar, "
        f"{r['variant']} varchar, {r['lift']} double, {r['ci_low']} double, {r['ci_high']} double, "
        f"{r['p_value']} double, {r['prob_beat_control']} double)"
    )
    con.execute(
        "insert into experiment_readouts values "
        "('exp_a', 'cvr', 'treatment', 0.052, 0.011, 0.093, 0.0132, 0.991), "
        "('exp_a', 'cvr', 'control', null, null, null, null, null), "
        "('exp_b', 'aov', 'treatment', -0.01, -0.05, 0.03, 0.61, 0.31)"
    )
    con.execute(
        f"create table experiment_srm_checks ({s['experiment_id']} varchar, "
        f"{s['srm_p_value']} double, {s['has_srm']} boolean)"
    )
    con.execute(
        "insert into experiment_srm_checks values ('exp_a', 0.4, false), ('exp_b', 1e-6, true)"
    )
    con.execute(
        f"create table kpi_daily ({k['kpi_date']} date, {k['kpi']} varchar, {k['value']} double)"
    )
    for i in range(20):
        con.execute(
            "insert into kpi_daily values (?, 'ctr', ?), (?, 'gmv', ?)",
            [LAST - timedelta(days=i), 0.01 * i, LAST - timedelta(days=i), 1000.0 + i],
        )
    con.execute(
        f"create table kpi_anomalies ({a['anomaly_date']} date, {a['kpi']} varchar, "
        f"{a['dimension']} varchar, {a['dimension_value']} varchar, {a['observed']} double, "
        f"{a['expected']} double)"
    )
    con.execute(
        "insert into kpi_anomalies values ('2026-03-20', 'ctr', 'item', 'sku_42', 0.002, 0.04), "
        "('2026-03-25', 'gmv', 'channel', 'app', 1500, 1000)"
    )
    con.execute(
        f"create table customer_ltv ({ltv['customer_id']} varchar, {ltv['p_alive']} double, "
        f"{ltv['predicted_value_cny']} decimal(18, 2))"
    )
    con.execute(
        "insert into customer_ltv values ('c1', 0.9, 100.50), ('c2', 0.5, 20.25), ('c3', 0.2, 1)"
    )
    # customer_rfm with too few columns: the segments panel must say it cannot read it.
    con.execute(
        "create table customer_rfm (customer_id varchar, rfm_segment_code varchar, "
        "rfm_segment_name_en varchar, rfm_segment_name_zh varchar)"
    )
    con.execute(
        "insert into customer_rfm values ('c1', 'vip', 'VIP', '贵宾'), "
        "('c2', 'vip', 'VIP', '贵宾'), ('c3', 'lost', 'Lost', '流失')"
    )
    con.close()
    return path


def _panel(snapshot, key):
    return next(p for p in snapshot.panels if p.panel.key == key)


def test_experiments_panel_reads_the_mapped_columns_and_joins_srm(serving):
    result = _panel(read_dashboard(serving), "experiments")
    assert result.status == "ok", result.message
    got = {r["row_key"]: r for r in result.rows}
    assert list(got) == [
        "exp_a / cvr / control",
        "exp_a / cvr / treatment",
        "exp_b / aov / treatment",
    ]
    assert got["exp_a / cvr / treatment"]["lift"] == 0.052
    assert got["exp_a / cvr / treatment"]["prob_beat_control"] == 0.991
    assert got["exp_a / cvr / treatment"]["has_srm"] is False
    assert got["exp_b / aov / treatment"]["has_srm"] is True
    assert got["exp_b / aov / treatment"]["srm_p_value"] == 1e-6


def test_kpi_panel_shows_the_last_14_days(serving):
    result = _panel(read_dashboard(serving), "kpis")
    assert result.status == "ok", result.message
    dates = {r["kpi_date"] for r in result.rows}
    assert dates == {LAST - timedelta(days=i) for i in range(14)}
    gmv = {r["kpi_date"]: r["value"] for r in result.rows if r["kpi"] == "gmv"}
    assert gmv[LAST] == 1000.0 and gmv[LAST - timedelta(days=13)] == 1013.0


def test_anomaly_panel_deviation_is_observed_over_expected(serving):
    result = _panel(read_dashboard(serving), "anomalies")
    assert result.status == "ok", result.message
    first, second = result.rows  # newest first
    assert first["dimension_value"] == "app" and first["deviation"] == pytest.approx(0.5)
    assert second["dimension_value"] == "sku_42" and second["deviation"] == pytest.approx(-0.95)


def test_ltv_panel_aggregates_per_segment(serving):
    result = _panel(read_dashboard(serving), "ltv")
    assert result.status == "ok", result.message
    got = {r["row_key"]: r for r in result.rows}
    assert got["vip"]["customers"] == 2
    assert float(got["vip"]["predicted_value_cny"]) == pytest.approx(120.75)
    assert got["vip"]["avg_p_alive"] == pytest.approx(0.7)
    assert float(got["lost"]["avg_predicted_value_cny"]) == pytest.approx(1.0)


def test_absent_marts_say_not_built_and_bad_columns_say_cannot_read(serving):
    snapshot = read_dashboard(serving)
    assert len(snapshot.panels) == len(PANELS)
    lifecycle = _panel(snapshot, "lifecycle")
    assert lifecycle.status == "not_built"
    assert "not built yet: marts.customer_lifecycle" in lifecycle.message
    segments = _panel(snapshot, "segments")
    assert segments.status == "error" and "net_spend_cny" in segments.message
    html = render_page(snapshot, "t")
    for p in snapshot.panels:
        section = re.search(
            rf'<section[^>]*data-panel="{p.panel.key}" data-status="([a-z_]+)"', html
        )
        assert section and section.group(1) == p.status, p.panel.key
    assert "not built yet: marts.customer_lifecycle" in html


def test_no_serving_file_is_said_on_every_panel(tmp_path):
    snapshot = read_dashboard(tmp_path / "absent" / "marts.duckdb")
    assert not snapshot.published
    assert {p.status for p in snapshot.panels} == {"no_serving"}
    assert "not published yet" in render_page(snapshot, "t")
    assert not (tmp_path / "absent").exists()  # reading created nothing


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (None, "cny", "–"),
        (1234567.891, "cny", "1,234,567.89"),
        (0.0004, "pct", "0.0 %"),
        (0.12345, "pct", "12.3 %"),
        (-0.0123, "signed_pct", "-1.2 %"),
        (0.05, "signed_pct", "+5.0 %"),
        (0.000049, "prob", "0.0000"),
        (12345, "int", "12,345"),
        (True, "bool", "yes 是"),
        (date(2026, 3, 1), "date", "2026-03-01"),
    ],
)
def test_formatting(value, kind, shown):
    assert formatting.display(value, kind) == shown
    if kind in ("cny", "pct", "signed_pct", "prob", "int") and value is not None:
        back = formatting.parse_display(shown, kind)
        places = formatting.DISPLAY_DECIMALS[kind] + (2 if kind.endswith("pct") else 0)
        assert back == pytest.approx(value, abs=0.5 * 10**-places)
