"""Dashboard panels on a tiny hand-made serving file: the marts of the other branches (KPIs,
anomalies, retention, experiments, LTV), created with their REAL column names and types
(tests/dashboard_marts.py, copied from those branches, not from the panels' mappings), read
through panels.py and compared with Python recomputations; absent marts say "not built yet"; a
mart whose columns do not match says so; no serving file at all says so. The browser test on a
real build: tests/e2e/test_dashboard.py."""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import pytest

from orchestration.lib.dashboard import formatting
from orchestration.lib.dashboard.app import render_page
from orchestration.lib.dashboard.panels import KPI_DAILY_KPIS, PANELS, PANELS_BY_KEY
from orchestration.lib.dashboard.reader import read_dashboard
from tests.dashboard_marts import (
    LAST_KPI_DATE,
    SRM_ROWS,
    _anomaly_rows,
    _kpi_rows,
    _readout_rows,
    _retention_rows,
    create_other_marts,
)


@pytest.fixture
def serving(tmp_path):
    """A serving-like file with the other branches' marts as they build them."""
    path = tmp_path / "marts.duckdb"
    con = duckdb.connect(str(path))
    create_other_marts(con, customer_ids=["c1", "c2", "c3"])
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


def test_experiments_panel_reads_the_real_columns_and_joins_srm(serving):
    result = _panel(read_dashboard(serving), "experiments")
    assert result.status == "ok", result.message
    got = {r["row_key"]: r for r in result.rows}
    readouts = _readout_rows()
    assert list(got) == sorted(f"{r[0]} / {r[1]} / {r[2]}" for r in readouts)
    srm = {r[0]: r for r in SRM_ROWS}
    for r in readouts:
        shown = got[f"{r[0]} / {r[1]} / {r[2]}"]
        assert shown["lift"] == pytest.approx((r[7] - r[6]) / r[6])  # relative lift
        assert shown["absolute_lift"] == pytest.approx(r[7] - r[6])
        assert (shown["ci_low"], shown["ci_high"]) == (r[11], r[12])
        assert shown["p_value"] == r[14] and shown["cuped_p_value"] == r[23]
        assert shown["prob_beat_control"] == r[17]
        assert (shown["units_control"], shown["units_variant"]) == (r[4], r[5])
        assert shown["has_srm"] is srm[r[0]][9] and shown["srm_p_value"] == srm[r[0]][7]
    assert got["exp_srm / conversion_rate / treatment"]["has_srm"] is True


def test_kpi_panel_shows_the_overall_kpis_of_the_last_14_days(serving):
    result = _panel(read_dashboard(serving), "kpis")
    assert result.status == "ok", result.message
    days = [LAST_KPI_DATE - timedelta(days=i) for i in range(14)]
    assert [r["row_key"] for r in result.rows] == [d.isoformat() for d in days]
    overall = {(r[0], r[1]): r[4] for r in _kpi_rows() if r[2] == "overall"}
    for row in result.rows:
        d = next(x for x in days if x.isoformat() == row["row_key"])
        for code, *_ in KPI_DAILY_KPIS:
            assert row[code] == overall[(d, code)], (d, code)
    assert result.rows[3]["cvr"] is None  # no value that day: blank, not a channel's value


def test_anomaly_panel_lists_flagged_rows_with_deviation_and_drilldown(serving):
    result = _panel(read_dashboard(serving), "anomalies")
    assert result.status == "ok", result.message
    flagged = sorted(
        (r for r in _anomaly_rows() if r[10]), key=lambda r: (-r[0].toordinal(), r[1], r[2], r[3])
    )
    assert [r["row_key"] for r in result.rows] == [
        f"{r[0].isoformat()} / {r[1]} / {r[2]} / {r[3]}" for r in flagged
    ]
    for shown, r in zip(result.rows, flagged, strict=True):
        assert (shown["observed"], shown["expected"], shown["z_score"]) == (r[4], r[5], r[7])
        if r[5]:
            assert shown["deviation"] == pytest.approx(r[4] / r[5] - 1)
        else:
            assert shown["deviation"] is None
        assert shown["drilldown"] == (f"{r[11]}: {r[12]}" if r[11] else None)


def test_retention_panel_shows_all_channels_per_cohort_week(serving):
    result = _panel(read_dashboard(serving), "retention")
    assert result.status == "ok", result.message
    rows = sorted((r for r in _retention_rows() if r[1] == "all"), key=lambda r: r[0])[::-1]
    assert [r["row_key"] for r in result.rows] == [r[0].isoformat() for r in rows]
    for shown, r in zip(result.rows, rows, strict=True):
        assert shown["customers"] == r[2]
        assert (shown["retention_7d_rate"], shown["retention_30d_rate"]) == (r[5], r[8])
        assert shown["retention_90d_rate"] == r[11]
    assert result.rows[0]["retention_90d_rate"] is None  # the newest cohort: not observable yet


def test_ltv_panel_aggregates_per_segment(serving):
    result = _panel(read_dashboard(serving), "ltv")
    assert result.status == "ok", result.message
    got = {r["row_key"]: r for r in result.rows}
    assert got["vip"]["customers"] == 2
    # c1, c2: predicted 0.00 and 12.34, p_alive 0.05 and 0.15 (tests/dashboard_marts.py).
    assert float(got["vip"]["predicted_value_cny"]) == pytest.approx(12.34)
    assert got["vip"]["avg_p_alive"] == pytest.approx(0.1)
    assert float(got["lost"]["avg_predicted_value_cny"]) == pytest.approx(24.68)


def test_every_other_branch_panel_is_ok_on_the_real_schemas(serving):
    snapshot = read_dashboard(serving)
    for key in ("kpis", "anomalies", "retention", "experiments", "ltv"):
        result = _panel(snapshot, key)
        assert result.status == "ok" and result.rows, (key, result.message)
        assert set(PANELS_BY_KEY[key].tables) <= snapshot.tables


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
        (-0.0021, "number", "-0.0021"),
        (150432.5, "number", "150,432.5000"),
        (12345, "int", "12,345"),
        (True, "bool", "yes 是"),
        (date(2026, 3, 1), "date", "2026-03-01"),
    ],
)
def test_formatting(value, kind, shown):
    assert formatting.display(value, kind) == shown
    if kind in ("cny", "pct", "signed_pct", "prob", "int", "number") and value is not None:
        back = formatting.parse_display(shown, kind)
        places = formatting.DISPLAY_DECIMALS[kind] + (2 if kind.endswith("pct") else 0)
        assert back == pytest.approx(value, abs=0.5 * 10**-places)
