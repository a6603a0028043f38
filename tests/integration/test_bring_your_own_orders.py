"""A retail transaction log from outside (the public "Online Retail" shape) dropped into the inbox
through the documented orders contract: the marts must agree, customer by customer, with RFM,
lifecycle and tiers recomputed here straight from the log, independently of dbt."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import duckdb
import pytest

from orchestration.lib.importers.retail_log import import_retail_log
from tests.conftest import materialize_everything

AS_OF = date(2011, 12, 9)
# (days before as-of of each invoice, amount of each invoice): planted threshold edges.
EDGE_CUSTOMERS = {
    "90001": ([30], [Decimal("50.00")]),  # active at exactly 30 days, AOV exactly 50 -> low
    "90002": ([31, 400], [Decimal("200.00"), Decimal("200.00")]),  # 31 days: not active
    "90003": ([90], [Decimal("199.99")]),  # dormant at exactly 90 days
    "90004": ([89], [Decimal("50.01")]),
    "90005": ([180], [Decimal("10.00")]),  # churned at exactly 180 days
    "90006": ([179, 200], [Decimal("5000.00"), Decimal("0.50")]),
    "90007": ([0, 1, 2], [Decimal("60.00"), Decimal("40.00"), Decimal("50.00")]),  # AOV 50.00
    "90008": ([364, 365], [Decimal("4999.99"), Decimal("1.00")]),  # 12-month window edge
    "90009": ([3, 4, 5, 6], [Decimal("20000.00")] * 4),  # new (tenure 6), diamond
}


def _write_log(path, rng: random.Random) -> dict[str, list[tuple[date, Decimal]]]:
    truth: dict[str, list[tuple[date, Decimal]]] = {}
    rows = []
    invoice = 500000

    def add(customer: str, day: date, amount: Decimal):
        nonlocal invoice
        invoice += 1
        # Split the amount over two lines: quantity 1 at amount - 1.00, and 1 at 1.00.
        at = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randrange(8, 18))
        lines = (
            [(amount - Decimal("1.00"), 1), (Decimal("1.00"), 1)] if amount > 2 else [(amount, 1)]
        )
        for price, qty in lines:
            rows.append(
                [
                    invoice,
                    f"SKU{rng.randrange(50)}",
                    "item",
                    qty,
                    at.isoformat(" "),
                    f"{price:.2f}",
                    f"{customer}.0",
                    "United Kingdom",
                ]
            )
        truth.setdefault(customer, []).append((day, amount))

    for customer, (days_back, amounts) in EDGE_CUSTOMERS.items():
        for back, amount in zip(days_back, amounts, strict=True):
            add(customer, AS_OF - timedelta(days=back), amount)
    for n in range(60):
        customer = str(12000 + n)
        for _ in range(rng.randrange(1, 12)):
            amount = Decimal(rng.randrange(100, 60000)) / 100
            add(customer, AS_OF - timedelta(days=rng.randrange(0, 700)), amount)
    # Lines the contract does not take as orders: no customer, a cancellation, zero price.
    rows.append([invoice + 1, "X", "x", 1, f"{AS_OF} 10:00:00", "3.00", "", "United Kingdom"])
    rows.append([f"C{invoice + 2}", "X", "x", -1, f"{AS_OF} 10:00:00", "3.00", "12000.0", "UK"])
    rows.append([invoice + 3, "X", "x", 5, f"{AS_OF} 10:00:00", "0.00", "12001.0", "UK"])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "Invoice",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "Price",
                "Customer ID",
                "Country",
            ]
        )
        writer.writerows(rows)
    return truth


def _expected(purchases: list[tuple[date, Decimal]]) -> dict:
    """The rules of docs/segmentation_rules.md, written out again in plain Python."""
    days = sorted(d for d, _ in purchases)
    count, total = len(purchases), sum(a for _, a in purchases)
    recency = (AS_OF - days[-1]).days
    tenure = (AS_OF - days[0]).days
    observed = min(365, tenure + 1)
    in_window = sum(1 for d, _ in purchases if (AS_OF - d).days < 365)
    denominator = max(365, observed * 12)  # purchases a month = in_window * 365 / denominator
    spend_12m = sum(a for d, a in purchases if (AS_OF - d).days < 365)
    if recency >= 180:
        stage = "churned"
    elif tenure < 7:
        stage = "new"
    elif tenure < 90:
        stage = "growth"
    else:
        stage = "mature"
    return {
        "recency_band": "active" if recency <= 30 else "dormant" if recency >= 90 else "middle",
        "frequency_band": "high"
        if in_window * 365 >= 3 * denominator
        else "low"
        if in_window * 365 <= denominator
        else "middle",
        "monetary_band": "high"
        if total >= 200 * count
        else "low"
        if total <= 50 * count
        else "middle",
        "lifecycle_stage": stage,
        "tier": "diamond" if spend_12m >= 20000 else "gold" if spend_12m >= 5000 else "silver",
        "purchase_count": count,
        "net_spend_cny": total,
    }


@pytest.mark.slow
def test_marts_match_an_independent_recompute_of_a_retail_log(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LAKEHOUSE_REPORTING_TIMEZONE", "Europe/London")
    monkeypatch.setenv("LAKEHOUSE_AS_OF_DATE", AS_OF.isoformat())
    truth = _write_log(tmp_path / "online_retail.csv", random.Random(5))
    report = import_retail_log(tmp_path / "online_retail.csv", tmp_path / "inbox")
    assert report.skipped_no_customer == 1
    assert report.skipped_cancellation == 1
    assert report.skipped_non_positive == 1

    assert materialize_everything().success
    conn = duckdb.connect(str(tmp_path / "warehouse" / "lakehouse.duckdb"), read_only=True)
    try:
        rows = conn.execute("""
            select ir.id_value, r.recency_band, r.frequency_band, r.monetary_band,
                   l.lifecycle_stage, t.tier, r.purchase_count, r.net_spend_cny
            from marts.customer_rfm as r
            join marts.customer_lifecycle as l using (customer_id)
            join marts.customer_membership_tiers as t using (customer_id)
            join intermediate.int_identifiers_resolved as ir
              on ir.customer_id = r.customer_id and ir.id_type = 'user_id'
        """).fetchall()
    finally:
        conn.close()
    got = {
        user.removeprefix("RL"): dict(
            zip(
                [
                    "recency_band",
                    "frequency_band",
                    "monetary_band",
                    "lifecycle_stage",
                    "tier",
                    "purchase_count",
                    "net_spend_cny",
                ],
                values,
                strict=True,
            )
        )
        for user, *values in rows
    }
    assert set(got) == set(truth)
    mismatches = {c: (got[c], _expected(p)) for c, p in truth.items() if got[c] != _expected(p)}
    assert mismatches == {}
