"""The marketers' dashboard in headless Chromium, against the marts queried independently.

The shared pipeline build (tests/conftest.py ``pipeline_build``) is copied and published into
this module's own serving directory; ``python -m orchestration.lib.dashboard`` (what ``make
dashboard`` runs) serves it on a free loopback port. Each panel page is opened in Debian's
Chromium (``--dump-dom``, installed by scripts/install_chromium.sh when missing); the numbers in
the rendered DOM are compared with Python recomputations from the raw mart rows (shown text at
the shown precision, ``data-value`` exactly). Also checked: a panel whose mart is absent says
"not built yet"; the app keeps working while a writer holds the warehouse and with the warehouse
gone (it never opens it); a republish is picked up by the next page.

Run: ``.venv/bin/python -m pytest tests/e2e/test_dashboard.py -q``
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import defaultdict
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.dashboard.browser import dump_dom, ensure_chromium
from orchestration.lib.dashboard.panels import PANELS, PANELS_BY_KEY
from orchestration.lib.serving import connect_serving, publish_marts
from orchestration.lib.settings import PROJECT_ROOT
from tests.conftest import TEST_PII_KEY
from tests.dashboard_marts import DDL as OTHER_MARTS
from tests.dashboard_marts import create_other_marts

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# Shown precision per kind, in the mart's unit (percentages are ratios in the marts).
HALF_UNIT = {"int": 0.5, "cny": 0.005, "decimal": 0.005, "pct": 0.0005, "signed_pct": 0.0005}
HALF_UNIT["prob"] = HALF_UNIT["number"] = 0.00005


# ---- the rendered DOM -------------------------------------------------------------------------
class DashboardDom(HTMLParser):
    """panels[key] = {status, message, rows: {row_key: {col: (text, raw, kind)}}, order, ...}."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.panels: dict[str, dict] = {}
        self.publish_id: str | None = None
        self._panel: dict | None = None
        self._row: dict | None = None
        self._cell: list | None = None  # [col, raw, kind, text parts, depth]
        self._card: list | None = None
        self._in_value = False
        self._in_status = False
        self.empty_marker: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") == "publish":
            self.publish_id = a.get("data-publish-id")
        if tag == "section" and "data-panel" in a:
            self._panel = {"status": a["data-status"], "message": "", "rows": {}, "order": []}
            self._panel["summary"] = {}
            self.panels[a["data-panel"]] = self._panel
        elif self._panel is None:
            return
        if tag == "tr" and "data-row-key" in a:
            self._row = {}
            self._panel["rows"][a["data-row-key"]] = self._row
            self._panel["order"].append(a["data-row-key"])
        elif tag == "td" and "data-col" in a and self._row is not None:
            self._cell = [a["data-col"], a.get("data-value", ""), a.get("data-kind"), []]
        elif "data-summary-col" in a:
            self._card = [a["data-summary-col"], a.get("data-value", ""), a.get("data-kind"), []]
        elif tag == "div" and a.get("class") == "value" and self._card is not None:
            self._in_value = True
        elif "data-message" in a:
            self._in_status = True
        elif a.get("data-empty") == "true":
            self._panel["empty"] = True

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            col, raw, kind, text = self._cell
            self._row[col] = ("".join(text).strip(), raw, kind)
            self._cell = None
        elif tag == "div" and self._in_value:
            col, raw, kind, text = self._card
            self._panel["summary"][col] = ("".join(text).strip(), raw, kind)
            self._in_value, self._card = False, None
        elif tag == "div" and self._in_status:
            self._in_status = False
        elif tag == "tr":
            self._row = None
        elif tag == "section":
            self._panel = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[3].append(data)
        elif self._in_value:
            self._card[3].append(data)
        elif self._in_status and self._panel is not None:
            self._panel["message"] += data


def _parse(html: str) -> DashboardDom:
    dom = DashboardDom()
    dom.feed(html)
    return dom


def _shown_number(text: str) -> float | None:
    """A shown number back in the mart's unit: '1,234.50' -> 1234.5, '+12.3 %' -> 0.123."""
    if text == "–":
        return None
    m = re.fullmatch(r"([+-]?[\d,]+(?:\.\d+)?)\s*(%?)", text)
    assert m, f"not a number as shown: {text!r}"
    value = float(m.group(1).replace(",", ""))
    return value / 100 if m.group(2) else value


def _check_value(panel: str, row: str, col: str, cell: tuple, expected) -> None:
    text, raw, kind = cell
    where = f"{panel}[{row}].{col}"
    if expected is None:
        assert text == "–" and raw == "", (where, text, raw)
    elif kind in HALF_UNIT:
        shown = _shown_number(text)
        assert abs(shown - float(expected)) <= HALF_UNIT[kind] + 1e-9, (where, text, expected)
        assert float(raw) == pytest.approx(float(expected), rel=1e-9, abs=1e-9), (where, raw)
    elif kind == "bool":
        assert raw == ("true" if expected else "false"), (where, raw, expected)
    else:
        expected_text = expected.isoformat() if hasattr(expected, "isoformat") else str(expected)
        assert text == expected_text and raw == expected_text, (where, text, expected_text)


def _check_rows(dom_panel: dict, name: str, expected: list[dict]) -> None:
    """``expected``: rows in the expected order, each with 'row_key' and the shown columns."""
    assert dom_panel["status"] == "ok", dom_panel
    assert dom_panel["order"] == [r["row_key"] for r in expected], name
    columns = {c.name for c in PANELS_BY_KEY[name].columns}
    for row in expected:
        cells = dom_panel["rows"][row["row_key"]]
        assert set(cells) == columns, (name, set(cells) ^ columns)
        for col in columns:
            _check_value(name, row["row_key"], col, cells[col], row[col])
    if not expected:
        assert dom_panel.get("empty"), f"{name}: no rows expected, no empty marker shown"


# ---- the world: a published copy of the shared build and the served app ------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@contextmanager
def _serve(source_warehouse: Path, root: Path, prepare=None):
    """Copy the warehouse under ``root``, let ``prepare(conn)`` change it, publish, serve."""
    warehouse = root / "warehouse" / "lakehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    shutil.copy2(source_warehouse, warehouse)
    if prepare is not None:
        conn = duckdb.connect(str(warehouse))
        try:
            prepare(conn)
        finally:
            conn.close()
    serving_dir = root / "serving"
    report = publish_marts(warehouse, serving_dir)
    port = _free_port()
    # Explicit paths: an in-process Dagster run (pipeline_build) leaves LAKEHOUSE_WAREHOUSE_PATH
    # of its own warehouse in os.environ (dbt_assets.py), which must not leak into the server.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_")},
        "LAKEHOUSE_DATA_DIR": str(root),
        "LAKEHOUSE_WAREHOUSE_PATH": str(warehouse),
        "LAKEHOUSE_SERVING_DIR": str(serving_dir),
        "LAKEHOUSE_PII_KEY": TEST_PII_KEY,
        "LAKEHOUSE_DASHBOARD_PORT": str(port),
        "LAKEHOUSE_DASHBOARD_HOST": "127.0.0.1",
    }
    log = (root / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestration.lib.dashboard"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(base + "/healthz")
                break
            except OSError:
                assert server.poll() is None, (root / "server.log").read_text()
                assert time.monotonic() < deadline, "dashboard did not start in 60 s"
                time.sleep(0.2)
        assert status == 200, body
        yield {
            "base": base,
            "root": root,
            "warehouse": warehouse,
            "serving": serving_dir / "marts.duckdb",
            "serving_dir": serving_dir,
            "publish_id": report.publish_id,
            "server": server,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def served(pipeline_build, tmp_path_factory):
    """The shared build as the pipeline makes it: every mart the panels read is there."""
    ensure_chromium()
    with _serve(pipeline_build["warehouse"], tmp_path_factory.mktemp("dashboard")) as world:
        yield world


@pytest.fixture(scope="module")
def served_without_measurement(pipeline_build, tmp_path_factory):
    """The same build with the KPI, anomaly, retention, experiment and LTV marts dropped, as a
    deployment that has not built them yet publishes it."""
    ensure_chromium()

    def drop(conn):
        for table in OTHER_MARTS:
            conn.execute(f"drop table if exists marts.{table}")

    root = tmp_path_factory.mktemp("dashboard-without-measurement")
    with _serve(pipeline_build["warehouse"], root, prepare=drop) as world:
        yield world


@pytest.fixture(scope="module")
def served_with_other_marts(pipeline_build, tmp_path_factory):
    """The same build with the KPI, anomaly, retention, experiment and LTV marts replaced by
    small hand-made ones with the panels' edges (tests/dashboard_marts.py; LTV for the build's
    customers): non-overall rows, empty values, unflagged anomalies, a zero baseline, ..."""
    ensure_chromium()

    def add(conn):
        ids = [r[0] for r in conn.execute("select customer_id from marts.customer_rfm").fetchall()]
        create_other_marts(conn, schema="marts", customer_ids=sorted(ids))

    root = tmp_path_factory.mktemp("dashboard-other-marts")
    with _serve(pipeline_build["warehouse"], root, prepare=add) as world:
        yield world


def _mart(served, sql: str) -> list[dict]:
    conn = connect_serving(served["serving"])
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


def _tables(served) -> set[str]:
    rows = _mart(served, "select table_name as t from information_schema.tables")
    return {r["t"] for r in rows}


def _page(served, key: str | None = None) -> DashboardDom:
    return _parse(dump_dom(served["base"] + (f"/panel/{key}" if key else "/")))


# ---- independent recomputations from the raw mart rows ------------------------------------------
def _sum(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return sum(values, Decimal(0)) if values else None


def _share(part, whole):
    return None if part is None or not whole else float(part) / float(whole)


def _avg(values):
    values = [float(v) for v in values if v is not None]
    return sum(values) / len(values) if values else None


def _group(rows: list[dict], key: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        out[r[key]].append(r)
    return out


def expected_segments(served) -> list[dict]:
    rows = _mart(served, "select * from customer_rfm")
    total_spend = _sum(r["net_spend_cny"] for r in rows)
    out = []
    for code, members in _group(rows, "rfm_segment_code").items():
        spend = _sum(m["net_spend_cny"] for m in members)
        first = members[0]
        out.append(
            {
                "row_key": code,
                "name_en": first["rfm_segment_name_en"],
                "name_zh": first["rfm_segment_name_zh"],
                "customers": len(members),
                "customer_share": len(members) / len(rows),
                "net_spend_cny": spend,
                "gmv_share": _share(spend, total_spend),
                "tactic_en": first["tactic_en"],
                "tactic_zh": first["tactic_zh"],
            }
        )
    # Largest net spend first (NULL last), then code.
    return sorted(out, key=lambda r: (-(r["net_spend_cny"] or Decimal("-1e30")), r["row_key"]))


def expected_segment_summary(served) -> dict:
    rows = _mart(served, "select * from customer_rfm")
    return {
        "as_of_date": min(r["as_of_date"] for r in rows),
        "customers": len(rows),
        "purchasers": sum(1 for r in rows if r["has_purchased"]),
        "net_spend_cny": _sum(r["net_spend_cny"] for r in rows),
    }


def expected_lifecycle(served) -> list[dict]:
    rows = _mart(served, "select * from customer_lifecycle")
    out = []
    for stage, members in _group(rows, "lifecycle_stage").items():
        first = members[0]
        out.append(
            {
                "row_key": stage,
                "name_en": first["lifecycle_stage_name_en"],
                "name_zh": first["lifecycle_stage_name_zh"],
                "customers": len(members),
                "customer_share": len(members) / len(rows),
                "avg_tenure_days": _avg(m["tenure_days"] for m in members),
                "tactic_en": first["tactic_en"],
                "tactic_zh": first["tactic_zh"],
            }
        )
    return sorted(out, key=lambda r: (-r["customers"], r["row_key"]))


def expected_tiers(served) -> list[dict]:
    rows = _mart(served, "select * from customer_membership_tiers")
    total = _sum(r["trailing_12m_net_spend_cny"] for r in rows)
    out = []
    for tier, members in _group(rows, "tier").items():
        spend = _sum(m["trailing_12m_net_spend_cny"] for m in members)
        out.append(
            {
                "row_key": tier,
                "rank": members[0]["tier_rank"],
                "name_en": members[0]["tier_name_en"],
                "name_zh": members[0]["tier_name_zh"],
                "customers": len(members),
                "customer_share": len(members) / len(rows),
                "trailing_12m_net_spend_cny": spend,
                "spend_share": _share(spend, total),
                "avg_gap_to_next_tier_cny": _avg(m["gap_to_next_tier_cny"] for m in members),
            }
        )
    return sorted(out, key=lambda r: (r["rank"], r["row_key"]))


def expected_migration(served) -> list[dict]:
    rows = _mart(served, "select * from segment_migration where period_type = 'month'")
    latest = max(r["period_start"] for r in rows)
    moved = [r for r in rows if r["period_start"] == latest and r["is_migration"]]
    moved.sort(key=lambda r: (r["dimension"], -r["customers"], r["from_state"], r["to_state"]))
    return [
        {"row_key": f"{r['dimension']}: {r['from_state']} -> {r['to_state']}", **r} for r in moved
    ]


def expected_reactivation(served) -> list[dict]:
    rows = _mart(served, "select * from segment_migration")
    hits = [
        r
        for r in rows
        if (r["period_type"], r["dimension"], r["from_state"], r["to_state"])
        == ("month", "recency_band", "dormant", "active")
    ]
    return [
        {
            "row_key": r["period_start"].isoformat(),
            "is_complete_period": r["is_complete_period"],
            "dormant_customers": r["from_state_customers"],
            "reactivated_customers": r["customers"],
            "reactivation_rate": r["share_of_from_state"],
        }
        for r in sorted(hits, key=lambda r: r["period_start"])
    ]


def _recent_counted_orders(served) -> list[dict]:
    orders = _mart(served, "select * from fct_orders")
    last = max(o["order_date"] for o in orders)
    return [
        o
        for o in orders
        if o["status"] == "paid"
        and not o["is_fully_refunded"]
        and o["order_date"] > last - timedelta(days=30)
    ]


def expected_sales_daily(served) -> list[dict]:
    out = []
    for day, orders in _group(_recent_counted_orders(served), "order_date").items():
        net = _sum(o["net_amount_cny"] for o in orders)
        out.append(
            {
                "row_key": day.isoformat(),
                "orders": len(orders),
                "net_sales_cny": net,
                "aov_cny": float(net) / len(orders),
            }
        )
    return sorted(out, key=lambda r: r["row_key"], reverse=True)


def expected_sales_channels(served) -> list[dict]:
    orders = _recent_counted_orders(served)
    for o in orders:
        o["channel"] = o["sales_channel"] or o["order_channel"]
    total = _sum(o["net_amount_cny"] for o in orders)
    out = []
    for channel, group in _group(orders, "channel").items():
        net = _sum(o["net_amount_cny"] for o in group)
        out.append(
            {
                "row_key": channel,
                "orders": len(group),
                "net_sales_cny": net,
                "sales_share": _share(net, total),
                "aov_cny": float(net) / len(group),
            }
        )
    return sorted(out, key=lambda r: (-r["net_sales_cny"], r["row_key"]))


def expected_audiences(served) -> list[dict]:
    rows = _mart(served, "select * from audience_versions")
    latest: dict[str, dict] = {}
    for r in rows:
        known = latest.get(r["audience_code"])
        if known is None or r["version_number"] > known["version_number"]:
            latest[r["audience_code"]] = r
    out = [{"row_key": code, **r} for code, r in latest.items()]
    return sorted(out, key=lambda r: (-r["member_customers"], r["row_key"]))


# The KPI, anomaly, retention, experiment and LTV marts (built, or hand-made with edges).
def expected_kpis(served) -> list[dict]:
    rows = _mart(served, "select * from kpi_daily")
    overall = [r for r in rows if (r["dimension"], r["dimension_value"]) == ("overall", "all")]
    last = max(r["kpi_date"] for r in overall)
    kpis = {r["kpi"] for r in rows}
    by_day: dict = defaultdict(dict)
    for r in overall:
        if r["kpi_date"] > last - timedelta(days=14):
            by_day[r["kpi_date"]][r["kpi"]] = r["value"]
    out = [
        {"row_key": d.isoformat(), **{k: values.get(k) for k in kpis}}
        for d, values in by_day.items()
    ]
    return sorted(out, key=lambda r: r["row_key"], reverse=True)


def expected_anomalies(served) -> list[dict]:
    rows = [r for r in _mart(served, "select * from kpi_anomalies") if r["is_anomaly"]]
    rows.sort(
        key=lambda r: (-r["kpi_date"].toordinal(), r["kpi"], r["dimension"], r["dimension_value"])
    )
    return [
        {
            "row_key": " / ".join(
                [r["kpi_date"].isoformat(), r["kpi"], r["dimension"], r["dimension_value"]]
            ),
            "anomaly_date": r["kpi_date"],
            "kpi": r["kpi"],
            "dimension": r["dimension"],
            "dimension_value": r["dimension_value"],
            "observed": r["value"],
            "expected": r["baseline"],
            "deviation": r["value"] / r["baseline"] - 1 if r["baseline"] else None,
            "z_score": r["z_score"],
            "drilldown": (
                f"{r['drilldown_dimension']}: {r['drilldown_value']}"
                if r["drilldown_dimension"] is not None
                else None
            ),
        }
        for r in rows
    ]


def expected_retention(served) -> list[dict]:
    rows = _mart(served, "select * from retention_cohorts")
    out = [
        {"row_key": r["cohort_week_date"].isoformat(), **r}
        for r in rows
        if r["acquisition_channel"] == "all"
    ]
    return sorted(out, key=lambda r: r["row_key"], reverse=True)


def expected_experiments(served) -> list[dict]:
    srm = {r["experiment_id"]: r for r in _mart(served, "select * from experiment_srm_checks")}
    out = []
    for r in _mart(served, "select * from experiment_readouts"):
        check = srm.get(r["experiment_id"])
        out.append(
            {
                **r,
                "row_key": f"{r['experiment_id']} / {r['metric']} / {r['variant']}",
                "lift": (r["mean_variant"] - r["mean_control"]) / r["mean_control"],
                "prob_beat_control": r["probability_to_beat_control"],
                "has_srm": check["is_srm_flagged"] if check else None,
                "srm_p_value": check["p_value"] if check else None,
            }
        )
    return sorted(out, key=lambda r: r["row_key"])


def expected_ltv(served) -> list[dict]:
    segment = {r["customer_id"]: r for r in _mart(served, "select * from customer_rfm")}
    ltv = _mart(served, "select * from customer_ltv")
    for m in ltv:
        m["code"] = segment[m["customer_id"]]["rfm_segment_code"]
    out = []
    for code, members in _group(ltv, "code").items():
        first = segment[members[0]["customer_id"]]
        total = _sum(m["predicted_value_1y_cny"] for m in members)
        out.append(
            {
                "row_key": code,
                "name_en": first["rfm_segment_name_en"],
                "name_zh": first["rfm_segment_name_zh"],
                "customers": len(members),
                "avg_p_alive": _avg(m["p_alive"] for m in members),
                "avg_predicted_value_cny": _avg(m["predicted_value_1y_cny"] for m in members),
                "predicted_value_cny": total,
            }
        )
    return sorted(out, key=lambda r: (-r["predicted_value_cny"], r["row_key"]))


EXPECTED_OTHER_MARTS = {
    "kpis": expected_kpis,
    "anomalies": expected_anomalies,
    "retention": expected_retention,
    "experiments": expected_experiments,
    "ltv": expected_ltv,
}


EXPECTED = {
    "segments": expected_segments,
    "lifecycle": expected_lifecycle,
    "tiers": expected_tiers,
    "migration": expected_migration,
    "reactivation": expected_reactivation,
    "sales_daily": expected_sales_daily,
    "sales_channels": expected_sales_channels,
    "audiences": expected_audiences,
}


# ---- tests ---------------------------------------------------------------------------------
def test_index_shows_every_panel_with_its_status(served):
    dom = _page(served)
    tables = _tables(served)
    assert dom.publish_id == served["publish_id"]
    assert set(dom.panels) == {p.key for p in PANELS}
    for p in PANELS:
        missing = [t for t in p.tables if t not in tables]
        shown = dom.panels[p.key]
        if missing:
            assert shown["status"] == "not_built", (p.key, shown)
            for t in missing:
                assert f"marts.{t}" in shown["message"], (p.key, shown["message"])
            assert "not built yet" in shown["message"]
        else:
            assert shown["status"] == "ok", (p.key, shown)
    # Every absent mart the panels need is named somewhere (see also served_without_measurement).
    for t in OTHER_MARTS:
        if t not in tables:
            assert any(f"marts.{t}" in v["message"] for v in dom.panels.values()), t


@pytest.mark.parametrize("key", list(EXPECTED))
def test_panel_numbers_equal_the_marts(served, key):
    dom = _page(served, key)
    assert set(dom.panels) == {key}
    expected = EXPECTED[key](served)
    if key in ("segments", "lifecycle", "tiers", "sales_daily", "sales_channels"):
        assert expected, f"{key}: the test world has no rows; the comparison would prove nothing"
    _check_rows(dom.panels[key], key, expected)
    if key == "segments":
        summary = expected_segment_summary(served)
        shown = dom.panels[key]["summary"]
        assert set(shown) == set(summary)
        for col, value in summary.items():
            _check_value(key, "summary", col, shown[col], value)


def test_absent_marts_say_not_built_yet(served_without_measurement):
    """Panels whose marts are not in the serving copy say so by name instead of disappearing."""
    served = served_without_measurement
    tables = _tables(served)
    dom = _page(served)
    for key in EXPECTED_OTHER_MARTS:
        missing = [t for t in PANELS_BY_KEY[key].tables if t not in tables]
        assert missing, key  # the fixture dropped them
        assert dom.panels[key]["status"] == "not_built", key
        assert (
            "not built yet: " + ", ".join(f"marts.{t}" for t in missing)
            in dom.panels[key]["message"]
        ), dom.panels[key]["message"]
    assert all(dom.panels[k]["status"] == "ok" for k in EXPECTED), dom.panels


@pytest.mark.parametrize("key", list(EXPECTED_OTHER_MARTS))
def test_measurement_and_ltv_panels_equal_the_built_marts(served, key):
    """The KPI, anomaly, retention, experiment and LTV panels on the pipeline's own marts."""
    dom = _page(served, key)
    assert dom.panels[key]["status"] == "ok", dom.panels[key]
    expected = EXPECTED_OTHER_MARTS[key](served)
    if key != "anomalies":  # a quiet small world may flag nothing; the hand-made marts do
        assert expected, f"{key}: the test world has no rows; the comparison would prove nothing"
    _check_rows(dom.panels[key], key, expected)


def test_every_panel_is_ok_once_the_other_marts_are_published(served_with_other_marts):
    dom = _page(served_with_other_marts)
    assert {k: v["status"] for k, v in dom.panels.items()} == {p.key: "ok" for p in PANELS}


@pytest.mark.parametrize("key", list(EXPECTED_OTHER_MARTS))
def test_other_branches_panel_numbers_equal_the_marts(served_with_other_marts, key):
    dom = _page(served_with_other_marts, key)
    expected = EXPECTED_OTHER_MARTS[key](served_with_other_marts)
    assert expected, f"{key}: no rows to compare"
    _check_rows(dom.panels[key], key, expected)
    if key == "kpis":  # every KPI the mart has is a column of the panel
        kpis = {r["kpi"] for r in _mart(served_with_other_marts, "select kpi from kpi_daily")}
        assert kpis <= {c.name for c in PANELS_BY_KEY[key].columns}


def test_gmv_shares_add_up_to_one(served):
    """What a marketer reads off the segments panel: the shares shown sum to 100 %."""
    panel = _page(served, "segments").panels["segments"]
    for col in ("gmv_share", "customer_share"):
        total = sum(float(cells[col][1]) for cells in panel["rows"].values())
        assert total == pytest.approx(1.0, abs=1e-9), col


OPEN_READ_ONLY = "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)"


def test_app_never_opens_the_live_warehouse(served):
    """A writer holding the warehouse (DuckDB then refuses every other process, even read-only)
    does not disturb the dashboard, nor does the warehouse file being gone."""
    before = _page(served)
    ok = {k for k, v in before.panels.items() if v["status"] == "ok"}
    assert ok, "nothing to compare: no panel was ok before"
    writer = duckdb.connect(str(served["warehouse"]))
    try:
        writer.execute("create or replace table main.dashboard_probe as select 1 as x")
        # The premise: while this writer is open, no other process can open the warehouse.
        probe = subprocess.run(
            [sys.executable, "-c", OPEN_READ_ONLY, str(served["warehouse"])],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert probe.returncode != 0 and "lock" in probe.stderr.lower(), probe.stderr
        during = _page(served)
    finally:
        writer.close()
    assert {k for k, v in during.panels.items() if v["status"] == "ok"} == ok
    assert during.panels["segments"]["rows"] == before.panels["segments"]["rows"]

    moved = served["warehouse"].with_name("elsewhere.duckdb")
    served["warehouse"].rename(moved)
    try:
        gone = _page(served)
    finally:
        moved.rename(served["warehouse"])
    assert {k for k, v in gone.panels.items() if v["status"] == "ok"} == ok
    fds = Path(f"/proc/{served['server'].pid}/fd")
    if fds.exists():
        opened = {os.path.realpath(f) for f in fds.iterdir()}
        assert str(served["warehouse"].resolve()) not in opened


def test_republish_is_picked_up(served):
    """Change a mart in the warehouse, publish again: the next page shows the new version."""
    old = _page(served, "segments")
    assert old.publish_id == served["publish_id"]
    shown = old.panels["segments"]["rows"]
    biggest = max(shown, key=lambda k: int(shown[k]["customers"][1]))
    writer = duckdb.connect(str(served["warehouse"]))
    try:
        writer.execute("delete from marts.customer_rfm where rfm_segment_code = ?", [biggest])
    finally:
        writer.close()
    report = publish_marts(served["warehouse"], served["serving_dir"])
    assert report.publish_id != served["publish_id"]
    status, body = _get(served["base"] + "/healthz")
    assert status == 200 and json.loads(body)["publish_id"] == report.publish_id

    new = _page(served, "segments")
    assert new.publish_id == report.publish_id
    assert biggest not in new.panels["segments"]["rows"]
    _check_rows(new.panels["segments"], "segments", expected_segments(served))
