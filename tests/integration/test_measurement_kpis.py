"""Measurement marts (issue 11) on a generated world, against the generator's truth or an
independent Python recomputation.

One world (1,500 customers x 84 days, from a Monday, no sale peaks), landed with the default
dirt and built through dbt once. Checked:

* kpi_daily: GMV, orders and AOV (overall and by sales channel) equal the truth's paid orders and
  receipts; GMV and repurchase rate by RFM segment a Python join on customer_state_daily; CTR
  (overall, slot, platform, item) equals the truth's impression report; ad spend the truth's
  spend; NPS the truth's responses; CVR the truth's sessions; repurchase rate,
  rec_gmv_share (attribution window edges included) and acquisition cost net of first-order
  profit a Python reading of their rules on fct_orders / dim_customers / staged clicks;
* retention_cohorts: a Python reading of the 7/30/90-day rule on fct_orders and dim_customers;
* kpi_anomalies: every planted anomaly day is flagged on its KPI x dimension value (recall), and
  flagged rows are the planted ones or an overall row whose drill-down names the planted value
  (precision); printed, then asserted (see test_anomalies_precision_and_recall);
* the asset check's reader returns the flagged rows of the latest days.

Run: ``.venv/bin/python -m pytest tests/integration/test_measurement_kpis.py -s``
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from datetime import date

import duckdb
import pytest

from orchestration.lib.measurement import recent_anomalies
from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START = 1500, 84, date(2026, 1, 5)
SELECT = "+path:models/marts/measurement"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _rows(con, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _param(name: str) -> str:
    with open(PROJECT_ROOT / "seeds" / "measurement_parameters.csv", newline="") as f:
        return {r["parameter"]: r["value"] for r in csv.DictReader(f)}[name]


def _local_date(ms: int) -> date:
    return dt.datetime.fromtimestamp(ms / 1000, SHANGHAI).date()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("measurement_kpis")
    inbox, db, proj = landed_world(tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=11)
    build(proj, db, SELECT)
    con = duckdb.connect(str(db), read_only=True)
    truth = inbox / "_truth"
    w = {
        "con": con,
        "truth": {
            name: _rows(con, f"select * from '{truth / name}.parquet'")
            for name in (
                "orders",
                "receipts",
                "rec_impressions",
                "ad_spend",
                "nps_responses",
                "kpi_anomalies",
                "events",
            )
        },
        "kpi": {
            (r["kpi_date"], r["kpi"], r["dimension"], r["dimension_value"]): r
            for r in _rows(con, "select * from marts.kpi_daily")
        },
    }
    yield w
    con.close()


def _assert_kpi(world, kpi: str, expected: dict, rel: float = 1e-9) -> None:
    """expected: (date, dimension, value) -> number; the mart must hold exactly these rows."""
    got = {(d, dim, v): r["value"] for (d, k, dim, v), r in world["kpi"].items() if k == kpi}
    dims = {dim for _, dim, _ in expected}
    got = {key: v for key, v in got.items() if key[1] in dims}
    assert set(got) == set(expected), (kpi, set(got) ^ set(expected))
    bad = {
        key: (got[key], e)
        for key, e in expected.items()
        if not (
            (e is None and got[key] is None)
            or (got[key] is not None and math.isclose(got[key], e, rel_tol=rel, abs_tol=1e-6))
        )
    }
    assert not bad, (kpi, list(bad.items())[:5])


def test_gmv_orders_aov_equal_truth(world):
    t = world["truth"]
    gmv, n = defaultdict(float), defaultdict(int)
    sales = [
        (_local_date(o["order_time_ms"]), o["channel"], o["pay_amount_cny"])
        for o in t["orders"]
        if o["status"] == "paid"
    ] + [(_local_date(r["receipt_time_ms"]), "store", r["total_cny"]) for r in t["receipts"]]
    for d, ch, amount in sales:
        for key in ((d, "overall", "all"), (d, "channel", ch)):
            gmv[key] += amount
            n[key] += 1
    _assert_kpi(world, "gmv_cny", dict(gmv), rel=1e-6)
    _assert_kpi(world, "orders", {k: float(v) for k, v in n.items()})
    _assert_kpi(world, "aov_cny", {k: gmv[k] / n[k] for k in gmv}, rel=1e-6)
    print(f"\nGMV {sum(v for k, v in gmv.items() if k[1] == 'overall'):,.2f} CNY in {len(sales)}")


def test_ctr_equals_truth_report(world):
    clicks, imps = defaultdict(int), defaultdict(int)
    for r in world["truth"]["rec_impressions"]:  # chunks may repeat a cell: summed
        d = r["impression_date"]
        for key in (
            (d, "overall", "all"),
            (d, "slot", r["slot"]),
            (d, "platform", r["platform"]),
            (d, "item", r["sku"]),
        ):
            clicks[key] += r["clicks"]
            imps[key] += r["impressions"]
    _assert_kpi(world, "ctr", {k: clicks[k] / imps[k] for k in imps if imps[k] > 0})


def test_ad_spend_and_nps_equal_truth(world):
    t = world["truth"]
    spend = defaultdict(float)
    for r in t["ad_spend"]:
        spend[(r["spend_date"], "channel", r["channel"])] += r["spend_cny"]
        spend[(r["spend_date"], "overall", "all")] += r["spend_cny"]
    got = {
        (d, dim, v): r["value"]
        for (d, k, dim, v), r in world["kpi"].items()
        if k == "ad_spend_cny" and (dim == "overall" or r["value"] > 0)
    }
    assert {k: round(v, 2) for k, v in got.items()} == {k: round(v, 2) for k, v in spend.items()}

    promoter = int(_param("nps_promoter_min_score"))
    detractor = int(_param("nps_detractor_max_score"))
    score = defaultdict(list)
    for r in t["nps_responses"]:
        score[_local_date(r["response_time_ms"])].append(r["score"])
    expected = {
        (d, "overall", "all"): 100.0
        * (sum(s >= promoter for s in v) - sum(s <= detractor for s in v))
        / len(v)
        for d, v in score.items()
    }
    _assert_kpi(world, "nps", expected)


def test_cvr_equals_truth_sessions(world):
    first, paid = {}, set()
    for e in world["truth"]["events"]:
        s = e["session_id"]
        first[s] = min(first.get(s, e["event_time_ms"]), e["event_time_ms"])
        if e["event_type"] == "pay":
            paid.add(s)
    num, den = defaultdict(int), defaultdict(int)
    for s, ms in first.items():
        key = (_local_date(ms), "overall", "all")
        den[key] += 1
        num[key] += s in paid
    _assert_kpi(world, "cvr", {k: num[k] / den[k] for k in den})


def _orders(world) -> list[dict]:
    return _rows(
        world["con"],
        "select order_id, customer_id, order_date, ordered_at, sales_channel, order_channel, "
        "cast(paid_amount_cny as double) as paid, cast(net_amount_cny as double) as net "
        "from marts.fct_orders where status = 'paid'",
    )


def test_repurchase_rate_recomputed(world):
    orders = [o for o in _orders(world) if o["customer_id"] is not None]
    first = {}
    for o in orders:
        first[o["customer_id"]] = min(first.get(o["customer_id"], o["order_date"]), o["order_date"])
    buyers = defaultdict(set)
    for o in orders:
        buyers[o["order_date"]].add(o["customer_id"])
    expected = {
        (d, "overall", "all"): sum(first[c] < d for c in cs) / len(cs) for d, cs in buyers.items()
    }
    _assert_kpi(world, "repurchase_rate", expected)


def test_segment_dimension_recomputed(world):
    """GMV and repurchase rate by the buyer's RFM segment on the day before the order."""
    con = world["con"]
    seg = {
        (c, d): s
        for c, d, s in con.execute(
            "select customer_id, state_date, rfm_segment from marts.customer_state_daily"
        ).fetchall()
    }
    orders = _orders(world)
    first = {}
    for o in orders:
        if o["customer_id"]:
            c = o["customer_id"]
            first[c] = min(first.get(c, o["order_date"]), o["order_date"])
    gmv, buyers = defaultdict(float), defaultdict(set)
    for o in orders:
        s = seg.get((o["customer_id"], o["order_date"] - dt.timedelta(days=1)))
        if s is None:
            continue
        gmv[(o["order_date"], "segment", s)] += o["paid"]
        buyers[(o["order_date"], "segment", s)].add(o["customer_id"])
    assert len({k[2] for k in gmv}) >= 3  # several segments buy
    _assert_kpi(world, "gmv_cny", dict(gmv), rel=1e-6)
    expected = {k: sum(first[c] < k[0] for c in cs) / len(cs) for k, cs in buyers.items()}
    _assert_kpi(world, "repurchase_rate", expected)


def test_rec_gmv_share_recomputed(world):
    con = world["con"]
    window = dt.timedelta(days=int(_param("rec_attribution_window_days")))
    customer_of = dict(
        con.execute(
            "select identifier_key, customer_id from intermediate.int_identifiers_resolved "
            "where identifier_key like 'user_id:%'"
        ).fetchall()
    )
    clicks = defaultdict(list)
    for user, sku, at in con.execute(
        "select user_id, sku, clicked_at from staging.stg_recs__clicks"
    ).fetchall():
        c = customer_of.get(f"user_id:{user}")
        if c is not None:
            clicks[(c, sku)].append(at)
    skus = defaultdict(set)
    for oid, sku in con.execute("select order_id, sku from marts.fct_order_lines").fetchall():
        skus[oid].add(sku)
    num, den = defaultdict(float), defaultdict(float)
    edge = 0
    for o in _orders(world):
        key = (o["order_date"], "overall", "all")
        den[key] += o["paid"]
        if o["order_channel"] != "online" or o["customer_id"] is None:
            continue
        hits = [
            at
            for sku in skus[o["order_id"]]
            for at in clicks.get((o["customer_id"], sku), [])
            if o["ordered_at"] - window <= at <= o["ordered_at"]
        ]
        edge += any(o["ordered_at"] - at > window for s in skus[o["order_id"]]
                    for at in clicks.get((o["customer_id"], s), []))  # fmt: skip
        if hits:
            num[key] += o["paid"]
    share = sum(num.values()) / sum(den.values())
    print(f"\nrec GMV share {share:.2%}; orders with a click outside the window: {edge}")
    assert sum(num.values()) > 0 and edge > 0  # both sides of the window are exercised
    _assert_kpi(world, "rec_gmv_share", {k: num[k] / den[k] for k in den}, rel=1e-6)


def test_acquisition_cost_net_recomputed(world):
    con = world["con"]
    margin = float(_param("first_order_margin_rate"))
    dims = _rows(
        con,
        "select customer_id, first_order_date, coalesce(acquisition_channel, 'unknown') as ch "
        "from marts.dim_customers where first_order_date is not null",
    )
    first_net = {}
    for o in sorted(
        (o for o in _orders(world) if o["customer_id"]),
        key=lambda o: (o["ordered_at"], o["order_id"]),
    ):
        first_net.setdefault(o["customer_id"], o["net"])
    spend = defaultdict(float)
    for r in world["truth"]["ad_spend"]:
        spend[(r["spend_date"], r["channel"])] += r["spend_cny"]
    new, net = defaultdict(int), defaultdict(float)
    for c in dims:
        for key in ((c["first_order_date"], c["ch"]), (c["first_order_date"], "all")):
            new[key] += 1
            net[key] += first_net[c["customer_id"]]
    for (d, _ch), s in list(spend.items()):
        spend[(d, "all")] += s
    expected = {}
    for d, ch in set(spend) | set(new):
        dim = "overall" if ch == "all" else "channel"
        cost = spend.get((d, ch), 0.0) - margin * net.get((d, ch), 0.0)
        expected[(d, dim, ch)] = cost / new[(d, ch)] if new.get((d, ch)) else None
    _assert_kpi(world, "acquisition_cost_net_cny", expected, rel=1e-6)


def test_retention_cohorts_recomputed(world):
    con = world["con"]
    as_of = con.execute("select max(order_date) from marts.fct_orders").fetchone()[0]
    dims = _rows(
        con,
        "select customer_id, first_order_date, coalesce(acquisition_channel, 'unknown') as ch "
        "from marts.dim_customers where first_order_date is not null",
    )
    dates = defaultdict(set)
    for o in _orders(world):
        if o["customer_id"]:
            dates[o["customer_id"]].add(o["order_date"])
    agg: dict = defaultdict(lambda: defaultdict(int))
    for c in dims:
        f = c["first_order_date"]
        week = f - dt.timedelta(days=f.weekday())
        for key in ((week, "all"), (week, c["ch"])):
            a = agg[key]
            a["customers"] += 1
            for n in (7, 30, 90):
                if f + dt.timedelta(days=n) <= as_of:
                    a[f"observable_{n}d"] += 1
                    a[f"retained_{n}d"] += any(
                        f < d <= f + dt.timedelta(days=n) for d in dates[c["customer_id"]]
                    )
    got = {
        (r["cohort_week_date"], r["acquisition_channel"]): r
        for r in _rows(con, "select * from marts.retention_cohorts")
    }
    assert set(got) == set(agg)
    for key, a in agg.items():
        counts = [f"{k}_{n}d" for k in ("observable", "retained") for n in (7, 30, 90)]
        for col in ("customers", *counts):
            assert got[key][col] == a.get(col, 0), (key, col)
        obs, ret = a.get("observable_7d", 0), a.get("retained_7d", 0)
        assert got[key]["retention_7d_rate"] == (pytest.approx(ret / obs) if obs else None)
    all_7d = [r for k, r in got.items() if k[1] == "all" and r["observable_7d"]]
    assert all_7d and any(r["retained_7d"] for r in all_7d)  # the rule is exercised


def test_anomalies_precision_and_recall(world):
    """Recall: every day of every planted anomaly is flagged on its own KPI x dimension value.
    Precision: a flagged row is explained by a planted anomaly when it is on a planted day and
    either is the planted KPI x value, or a KPI derived from it (spend -> acquisition cost) /
    an overall row whose drill-down names the planted value. Asserted: recall 1 and precision
    >= 0.9. Why these levels: the planted changes are 10x (CTR) and 4x (spend), z >= 5 even on
    the item series, so all must be found; on quiet days a z >= 4 cut with counting-noise
    floors gives ~1e-4 false flags per row under a normal tail, about 0.4 over the ~4,000
    scored rows, so at most a stray row is tolerated."""
    con = world["con"]
    planted = world["truth"]["kpi_anomalies"]
    assert planted, "the world is long enough to plant anomalies"
    derived = {"ad_spend_cny": {"ad_spend_cny", "acquisition_cost_net_cny"}, "ctr": {"ctr"}}
    flagged = _rows(con, "select * from marts.kpi_anomalies where is_anomaly")
    scored = con.execute("select count(*) from marts.kpi_anomalies").fetchone()[0]

    def explained(r) -> bool:
        for p in planted:
            if not (p["first_date"] <= r["kpi_date"] <= p["last_date"]):
                continue
            if r["kpi"] not in derived[p["kpi"]]:
                continue
            if (r["dimension"], r["dimension_value"]) == (p["dimension"], p["dimension_value"]):
                return True
            if r["dimension"] == "overall" and r["drilldown_value"] == p["dimension_value"]:
                return True
        return False

    planted_days = {
        (p["kpi"], p["dimension"], p["dimension_value"], p["first_date"] + dt.timedelta(days=i))
        for p in planted
        for i in range((p["last_date"] - p["first_date"]).days + 1)
    }
    found = {(r["kpi"], r["dimension"], r["dimension_value"], r["kpi_date"]) for r in flagged}
    recall = len(planted_days & found) / len(planted_days)
    precision = sum(explained(r) for r in flagged) / len(flagged) if flagged else 0.0
    print(
        f"\nanomalies: {len(planted_days)} planted days, {len(flagged)} flagged of {scored} "
        f"scored rows; precision {precision:.3f}, recall {recall:.3f}"
    )
    for r in flagged:
        print(
            f"  {r['kpi_date']} {r['kpi']} {r['dimension']}={r['dimension_value']} "
            f"z={r['z_score']:.1f} drill-down {r['drilldown_dimension']}={r['drilldown_value']}"
            f"{'' if explained(r) else '  <- not planted'}"
        )
    assert recall == 1.0
    assert precision >= 0.9
    # The planted rows drill down to themselves (they are the largest move of their KPI-day).
    for r in flagged:
        if (r["kpi"], r["dimension"], r["dimension_value"], r["kpi_date"]) in planted_days:
            assert (r["drilldown_dimension"], r["drilldown_value"]) == (
                r["dimension"],
                r["dimension_value"],
            )


def test_asset_check_reader_lists_recent_flags(world):
    con = world["con"]
    everything = recent_anomalies(con, days=DAYS)
    flagged = con.execute("select count(*) from marts.kpi_anomalies where is_anomaly").fetchone()
    assert len(everything.rows) == flagged[0] > 0 and not everything.passed
    latest = everything.latest_date
    newest_flag = max(date.fromisoformat(r["kpi_date"]) for r in everything.rows)
    quiet_days = (latest - newest_flag).days  # a window ending after the last flag is clean
    assert recent_anomalies(con, days=quiet_days).passed
    assert not recent_anomalies(con, days=quiet_days + 1).passed
