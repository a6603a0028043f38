"""Replenishment predictions and reminders on a generated world, against an independent Python
recomputation and the generator's ground truth.

One world (1,200 customers x 120 days), built once through dbt as of day 100, so that the 20
days after the as-of date hold the purchases that answer the reminders. Checked:

* replenishment_predictions is exactly the Python reading of the rules (docs/activation/
  replenishment.md) on fct_orders, fct_order_lines and the completed refunds up to the as-of
  date: trusted cycles, dates and status of every (customer, category);
* replenishment_reminders is exactly the due rows of enabled categories with the seed's coupon,
  and the audience layer's candidates of `replenishment_reminder` are those rows;
* the cycles of the truth's cyclic buyers (has_baby -> infant_formula, sanitary_pad_cycle ->
  sanitary_pads) are close to the catalog cycle (median absolute error reported and bounded);
* the "reminded, then bought within the window" rate, from the model's rows and from the Python
  rows, on the purchases after the as-of date (a figure, reported; the two must agree).

Run: ``.venv/bin/python -m pytest tests/integration/test_activation_replenishment.py -s``
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.generator import catalog
from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.worlds import build, landed_world

CUSTOMERS, DAYS, START = 1200, 120, date(2026, 1, 1)
AS_OF = START + timedelta(days=100)
SELECT = ("path:models/marts/activation/replenishment", "int_audience_candidates")
CYCLIC = {"infant_formula": "has_baby", "sanitary_pads": "sanitary_pad_cycle"}


def _rows(db, sql: str) -> list[dict]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        cur = conn.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("activation_replenishment")
    inbox, db, proj = landed_world(tmp, customers=CUSTOMERS, days=DAYS, start=START, seed=23)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEHOUSE_AS_OF_DATE", AS_OF.isoformat())
        build(proj, db, f"+{SELECT[0]}", f"+{SELECT[1]}")
    return {"inbox": inbox, "db": db}


def _rules() -> dict[str, dict]:
    with open(PROJECT_ROOT / "seeds" / "replenishment_rules.csv", newline="") as f:
        return {r["category"]: r for r in csv.DictReader(f)}


def _purchases(db, as_of: date | None) -> dict[tuple[str, str], list[date]]:
    """(customer, category) -> sorted distinct purchase dates, read from the core marts: paid
    orders up to as_of (all when None), without the orders fully refunded by refunds completed on
    or before as_of, lines of a category with goods value > 0."""
    orders = _rows(db, "select * from marts.fct_orders where customer_id is not null")
    lines = _rows(
        db,
        "select order_id, category, net_amount_cny, refunded_amount_cny from marts.fct_order_lines",
    )
    refunds = _rows(db, "select * from intermediate.int_order_refunds_completed")
    refunded, completed = defaultdict(Decimal), defaultdict(Decimal)
    for r in refunds:
        if r["refund_completed_date"] is not None and (
            as_of is None or r["refund_completed_date"] <= as_of
        ):
            refunded[r["order_id"]] += r["refunded_amount_cny"]
            completed[r["order_id"]] += r["completed_refund_cny"]
    counted = {}
    for o in orders:
        if o["status"] != "paid" or (as_of is not None and o["order_date"] > as_of):
            continue
        before = o["net_amount_cny"] + o["refunded_amount_cny"]
        if completed[o["order_id"]] > 0 and before - refunded[o["order_id"]] <= 0:
            continue
        counted[o["order_id"]] = o
    out = defaultdict(set)
    for li in lines:
        o = counted.get(li["order_id"])
        goods = li["net_amount_cny"] + (li["refunded_amount_cny"] or 0)
        if o is None or li["category"] is None or goods <= 0:
            continue
        out[(o["customer_id"], li["category"])].add(o["order_date"])
    return {k: sorted(v) for k, v in out.items()}


def expected_predictions(purchases, as_of: date) -> dict[tuple[str, str], dict]:
    """The rules of docs/activation/replenishment.md, read independently of the SQL."""
    rules = _rules()
    out = {}
    for (customer, category), dates in purchases.items():
        rule = rules.get(category, rules["*"])
        gaps = [(b - a).days for a, b in zip(dates, dates[1:], strict=False)]
        if len(dates) < int(rule["min_purchases"]) or not gaps:
            continue
        median = statistics.median(gaps)
        cycle = math.floor(median + 0.5)
        deviation = statistics.median(abs(g - median) for g in gaps)
        if not int(rule["min_cycle_days"]) <= cycle <= int(rule["max_cycle_days"]):
            continue
        if deviation > float(rule["max_cycle_deviation"]) * median:
            continue
        lead, grace = int(rule["lead_days"]), int(rule["grace_days"])
        last, previous = dates[-1], dates[-2]
        predicted = last + timedelta(days=cycle)
        reminder, end = predicted - timedelta(days=lead), predicted + timedelta(days=grace)
        if reminder <= as_of <= end:
            status = "due"
        elif last >= previous + timedelta(days=cycle - lead) and as_of <= previous + timedelta(
            days=cycle + grace
        ):
            status = "suppressed_bought"
        elif as_of < reminder:
            status = "upcoming"
        else:
            status = "overdue"
        out[(customer, category)] = {
            "purchase_count": len(dates),
            "last_purchase_date": last,
            "previous_purchase_date": previous,
            "cycle_days": cycle,
            "predicted_next_date": predicted,
            "reminder_date": reminder,
            "reminder_end_date": end,
            "replenishment_status": status,
            "rule_category": rule["category"],
            "is_reminder_enabled": rule["is_enabled"] == "true",
        }
    return out


@pytest.fixture(scope="module")
def computed(world):
    db = world["db"]
    expected = expected_predictions(_purchases(db, AS_OF), AS_OF)
    actual = {
        (r["customer_id"], r["category"]): r
        for r in _rows(db, "select * from marts.replenishment_predictions")
    }
    reminders = _rows(db, "select * from marts.replenishment_reminders")
    return {"expected": expected, "actual": actual, "reminders": reminders}


def test_predictions_match_python_recomputation(computed):
    expected, actual = computed["expected"], computed["actual"]
    assert set(actual) == set(expected)
    for key, exp in expected.items():
        got = {k: actual[key][k] for k in exp}
        assert got == exp, key
    assert all(r["as_of_date"] == AS_OF for r in actual.values())
    by_status = defaultdict(int)
    for r in expected.values():
        by_status[r["replenishment_status"]] += 1
    assert by_status["due"] >= 10 and by_status["upcoming"] >= 10, by_status
    print(
        f"\npredictions: {len(expected)} trusted cycles, "
        f"by status {dict(sorted(by_status.items()))}"
    )


def test_reminders_are_the_due_enabled_rows_with_their_coupon(computed, world):
    rules = _rules()
    expected = {
        (c, cat): rules[p["rule_category"]]["coupon_code"]
        for (c, cat), p in computed["expected"].items()
        if p["replenishment_status"] == "due" and p["is_reminder_enabled"]
    }
    actual = {(r["customer_id"], r["category"]): r["coupon_code"] for r in computed["reminders"]}
    assert len(actual) == len(computed["reminders"])
    assert actual == expected
    assert all(r["offer_code"] == f"replenish:{r['category']}" for r in computed["reminders"])
    assert all(r["as_of_date"] == AS_OF for r in computed["reminders"])
    candidates = _rows(
        world["db"],
        "select customer_id, offer_code from intermediate.int_audience_candidates "
        "where audience_code = 'replenishment_reminder'",
    )
    assert {(c["customer_id"], c["offer_code"]) for c in candidates} == {
        (c, f"replenish:{cat}") for c, cat in expected
    }
    print(f"\nreminders as of {AS_OF}: {len(expected)} (customer x category)")


def _customer_person(world) -> dict[str, str]:
    """customer_id -> the person owning most of its orders (generator truth)."""
    db, truth = world["db"], Path(world["inbox"]) / "_truth"
    conn = duckdb.connect()
    try:
        owners = conn.execute(
            f"""
            select order_id, person_id from read_parquet('{truth / "orders.parquet"}')
            union all
            select receipt_id, person_id from read_parquet('{truth / "receipts.parquet"}')
            """
        ).fetchall()
    finally:
        conn.close()
    owner = dict(owners)
    votes = defaultdict(lambda: defaultdict(int))
    for o in _rows(
        db, "select order_id, customer_id from marts.fct_orders where customer_id is not null"
    ):
        if owner.get(o["order_id"]) is not None:
            votes[o["customer_id"]][owner[o["order_id"]]] += 1
    return {c: max(v, key=v.get) for c, v in votes.items()}


def test_cycles_of_true_cyclic_buyers_are_close_to_the_catalog_cycle(computed, world):
    truth = Path(world["inbox"]) / "_truth" / "persons.parquet"
    conn = duckdb.connect()
    try:
        persons = {
            p: {"infant_formula": baby, "sanitary_pads": pads}
            for p, baby, pads in conn.execute(
                f"select person_id, has_baby, sanitary_pad_cycle from read_parquet('{truth}')"
            ).fetchall()
        }
    finally:
        conn.close()
    person_of = _customer_person(world)
    cycle_of = {c.name: c.cycle_days for c in catalog.CATEGORIES}
    for category in CYCLIC:
        rows = [(k, r) for k, r in computed["actual"].items() if k[1] == category]
        cyclic = [r for (c, _), r in rows if persons.get(person_of.get(c), {}).get(category)]
        errors = [abs(r["cycle_days"] - cycle_of[category]) for r in cyclic]
        assert len(errors) >= 10, (category, len(errors))
        mae = statistics.median(errors)
        precision = len(cyclic) / len(rows)
        print(
            f"\n{category}: {len(rows)} trusted cycles, {len(cyclic)} of true cyclic buyers "
            f"(precision {precision:.1%}); median |cycle - {cycle_of[category]}| = {mae} days; "
            f"within 3 days: {sum(e <= 3 for e in errors) / len(errors):.1%}"
        )
        assert mae <= 3, (category, mae)
        assert precision >= 0.8, (category, precision)


def _bought_in_window_rate(reminders, later: dict[tuple[str, str], list[date]]) -> tuple[int, int]:
    bought = sum(
        any(
            AS_OF < d <= r["reminder_end_date"]
            for d in later.get((r["customer_id"], r["category"]), [])
        )
        for r in reminders
    )
    return bought, len(reminders)


def test_reminded_then_bought_within_the_window(computed, world):
    later = _purchases(world["db"], None)  # every purchase, also after the as-of date
    from_model = _bought_in_window_rate(computed["reminders"], later)
    python_rows = [
        {"customer_id": c, "category": cat, "reminder_end_date": p["reminder_end_date"]}
        for (c, cat), p in computed["expected"].items()
        if p["replenishment_status"] == "due" and p["is_reminder_enabled"]
    ]
    from_python = _bought_in_window_rate(python_rows, later)
    assert from_model == from_python
    bought, reminded = from_model
    assert reminded > 0
    print(
        f"\nreminded as of {AS_OF}: {reminded}; bought the category after the as-of date and by "
        f"the end of the reminder window: {bought} ({bought / reminded:.1%})"
    )
