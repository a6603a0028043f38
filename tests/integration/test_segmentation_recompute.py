"""Segmentation marts recomputed independently in plain Python, customer by customer.

Builds a throw-away copy of the segmentation part of the dbt project (models/*/segmentation,
macros/portable and macros/segmentation, tests/singular/segmentation, the segmentation seeds) in a
temp directory, with stand-in models for the inputs (fct_orders, dim_customers and
int_order_refunds_completed select hand-made rows from a `fixtures` schema, with the columns of
docs/customer_core_models.md and of the refunds model), so parallel work elsewhere in dbt_project
cannot break it and nothing is written to the repository.

Then recomputes from the same rows, with the rules of docs/segmentation_rules.md written out
again in Python (no SQL, no seeds): RFM bands and 8-segment labels, lifecycle stages, membership
tiers and gaps, the daily state history and the dormant -> active migration, and asserts
equality for every customer (and every customer-day). Refunds are point-in-time: an order is
judged on each date with only the refunds completed on or before that date.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import PROJECT_ROOT

DBT = str(Path(os.environ.get("VIRTUAL_ENV", PROJECT_ROOT / ".venv")) / "bin" / "dbt")
AS_OF = date(2026, 6, 30)  # = latest order_date of the fixture: the default as-of date
HISTORY_DAYS = 40

SEGMENTATION_PATHS = [
    "dbt_project.yml",
    "macros/generate_schema_name.sql",
    "macros/portable",
    "macros/segmentation",
    "models/intermediate/segmentation",
    "models/marts/segmentation",
    "tests/singular/segmentation",
]
SEED_GLOBS = ["rfm_*.csv", "lifecycle_*.csv", "membership_*.csv", "segment_tactics.csv"]

PROFILE = """marketing_lakehouse:
  target: duckdb
  outputs:
    duckdb:
      type: duckdb
      path: "{{ env_var('LAKEHOUSE_WAREHOUSE_PATH') }}"
      threads: 2
      settings:
        memory_limit: "1GB"
        threads: 2
        TimeZone: UTC
"""

ORDER_COLUMNS = """order_id varchar, customer_id varchar, order_channel varchar,
    sales_channel varchar, store_id varchar, device_platform varchar, status varchar,
    ordered_at timestamp, order_date date,
    gross_amount_cny decimal(18,2), discount_cny decimal(18,2), shipping_fee_cny decimal(18,2),
    paid_amount_cny decimal(18,2), refunded_amount_cny decimal(18,2), net_amount_cny decimal(18,2),
    item_count integer, is_fully_refunded boolean, has_discount boolean"""
REFUND_COLUMNS = """order_id varchar, refund_completed_date date, refunded_amount_cny decimal(18,2),
    cumulative_refunded_amount_cny decimal(18,2), completed_refund_cny decimal(18,2)"""
CUSTOMER_COLUMNS = """customer_id varchar, registered_at timestamp, first_seen_at timestamp,
    first_order_at timestamp, last_order_at timestamp, first_order_date date, last_order_date date,
    acquisition_channel varchar, acquisition_platform varchar, member_id varchar, is_member boolean,
    gender varchar, is_gender_imputed boolean, order_count integer, online_order_count integer,
    offline_order_count integer, online_share double, net_spend_cny decimal(18,2)"""


# --------------------------------------------------------------------------- fixture data


def make_data(seed: int = 7) -> tuple[list[dict], list[dict]]:
    """~70 customers and their orders, with customers placed on every rule edge."""
    rng = random.Random(seed)
    customers: list[dict] = []
    orders: list[dict] = []

    def at(d: date, hour: int = 4) -> datetime:  # 04:00 UTC = 12:00 Asia/Shanghai, same date
        return datetime(d.year, d.month, d.day, hour)

    def add_order(cid, d, net, status="paid", paid=None, refunds=()):
        """net: goods value before refunds. refunds: (completed local date, allocated amount,
        raw completed amount) like int_order_refunds_completed; fct_orders' columns are the
        state once every refund is completed."""
        n = len(orders) + 1
        net_before = Decimal(net)
        refunds = [(rd, Decimal(a), Decimal(raw)) for rd, a, raw in refunds]
        refunded = sum((a for _, a, _ in refunds), Decimal("0.00"))
        orders.append(
            {
                "order_id": f"ON-{n:05d}",
                "customer_id": cid,
                "status": status,
                "order_date": d,
                "ordered_at": at(d),
                "paid_amount_cny": Decimal(paid if paid is not None else net),
                "net_before_refunds_cny": net_before,
                "refunds": refunds,
                "refunded_amount_cny": refunded,
                "net_amount_cny": net_before - refunded,
                "is_fully_refunded": status == "paid"
                and sum(raw for _, _, raw in refunds) > 0
                and net_before - refunded <= 0,
            }
        )

    # random customers: registered over two years, 0-40 orders, some refunds / cancellations
    for i in range(45):
        cid = f"C{i:03d}"
        reg = AS_OF - timedelta(days=rng.randint(0, 700))
        offline_only = rng.random() < 0.2
        hour = rng.choice([1, 4, 15, 17, 23])  # 16:00+ UTC is the next Shanghai day
        customers.append(
            {
                "customer_id": cid,
                "registered_at": None if offline_only else at(reg, hour),
                "first_seen_at": at(reg, hour),
            }
        )
        for _ in range(rng.choice([0, 1, 2, 3, 5, 8, 15, 40])):
            d = AS_OF - timedelta(days=rng.randint(0, 500))
            net = (
                f"{rng.choice([9.9, 49.99, 50, 50.01, 120, 199.99, 200, 200.01, 999, 4999.99]):.2f}"
            )
            kind = rng.random()
            done = d + timedelta(days=rng.randint(0, 30))  # may complete after the as-of date
            if kind < 0.08:  # fully refunded: goods value plus 8.00 shipping refunded, capped
                paid = f"{Decimal(net) + 8:.2f}"
                add_order(cid, d, net, paid=paid, refunds=[(done, net, paid)])
            elif kind < 0.12:
                add_order(cid, d, "0.00", status="cancelled", paid="0.00")
            elif kind < 0.18:  # partially refunded, sometimes in two steps
                half = (Decimal(net) / 2).quantize(Decimal("0.01"))
                steps = [(done, half, half)]
                if rng.random() < 0.5:
                    steps.append((done + timedelta(days=rng.randint(0, 20)), "1.00", "1.00"))
                add_order(cid, d, net, refunds=steps)
            else:
                add_order(cid, d, net)

    # edge customers: recency / churn days, tenure days, tiers
    long_ago = AS_OF - timedelta(days=800)
    for n in (29, 30, 31, 89, 90, 91, 179, 180, 181):
        customers.append(
            {"customer_id": f"R{n}", "registered_at": at(long_ago), "first_seen_at": at(long_ago)}
        )
        add_order(f"R{n}", AS_OF - timedelta(days=n), "100.00")
    for n in (6, 7, 8, 89, 90, 91, 179, 180):
        reg = AS_OF - timedelta(days=n)
        customers.append(
            {"customer_id": f"N{n}", "registered_at": at(reg), "first_seen_at": at(reg)}
        )
    for cid, amount in (
        ("T1", "4999.99"),
        ("T2", "5000.00"),
        ("T3", "19999.99"),
        ("T4", "20000.00"),
    ):
        customers.append(
            {"customer_id": cid, "registered_at": at(long_ago), "first_seen_at": at(long_ago)}
        )
        add_order(cid, AS_OF - timedelta(days=3), amount)
    # 36 purchases in the window = exactly 3 a month; 12 = exactly 1
    for cid, k in (("F36", 36), ("F12", 12)):
        customers.append(
            {"customer_id": cid, "registered_at": at(long_ago), "first_seen_at": at(long_ago)}
        )
        for j in range(k):
            add_order(cid, AS_OF - timedelta(days=j * 9), "80.00")
    # point in time: ordered on history day 3, fully refunded on day 16 -> a purchase on days
    # 3..15 only (a full build and an incremental one must agree on every day)
    day1 = AS_OF - timedelta(days=HISTORY_DAYS - 1)
    customers.append(
        {"customer_id": "PIT", "registered_at": at(long_ago), "first_seen_at": at(long_ago)}
    )
    add_order(
        "PIT",
        day1 + timedelta(days=2),
        "300.00",
        refunds=[(day1 + timedelta(days=15), "300.00", "300.00")],
    )
    # refunds completed after the as-of date do not count on the as-of date: a full one (still
    # a purchase) and a partial one (spend 6,000.00 = gold, not 4,000.00)
    for cid, net, refund in (
        ("LATE_FULL", "120.00", "120.00"),
        ("LATE_PART", "6000.00", "2000.00"),
    ):
        customers.append(
            {"customer_id": cid, "registered_at": at(long_ago), "first_seen_at": at(long_ago)}
        )
        add_order(
            cid,
            AS_OF - timedelta(days=5),
            net,
            refunds=[(AS_OF + timedelta(days=2), refund, refund)],
        )
    # registration is point in time too: first seen 20 days before the as-of date, registering
    # 10 days before it (LATE_REG: in the history from its first sighting, tenure restarting at
    # registration) or 3 days after it (REG_AFTER: tenure 20 on the as-of date, not 0)
    for cid, registered in (
        ("LATE_REG", AS_OF - timedelta(days=10)),
        ("REG_AFTER", AS_OF + timedelta(days=3)),
    ):
        customers.append(
            {
                "customer_id": cid,
                "registered_at": at(registered),
                "first_seen_at": at(AS_OF - timedelta(days=20)),
            }
        )
    # the latest order of the data set is on AS_OF (default as-of date), plus an anonymous one
    add_order("R29", AS_OF, "10.00")
    add_order(None, AS_OF, "55.00")
    return customers, orders


# --------------------------------------------------------------------------- the rules, in Python


def local_date(ts: datetime | None) -> date | None:
    return None if ts is None else (ts + timedelta(hours=8)).date()


def purchases_as_of(customer: dict, orders: list[dict], d: date) -> list[dict]:
    """Counted purchases on date d, point in time: paid, dated on or before d, and not fully
    refunded by the refunds completed on or before d; net = net before refunds - those refunds."""
    out = []
    for o in orders:
        if (
            o["customer_id"] != customer["customer_id"]
            or o["status"] != "paid"
            or o["order_date"] > d
        ):
            continue
        done = [(a, raw) for rd, a, raw in o["refunds"] if rd <= d]
        net = o["net_before_refunds_cny"] - sum((a for a, _ in done), Decimal("0"))
        if sum(raw for _, raw in done) > 0 and net <= 0:
            continue  # fully refunded by d
        out.append({"order_date": o["order_date"], "net_amount_cny": net})
    return out


def evaluate(customer: dict, orders: list[dict], d: date) -> dict:
    """All segmentation states of one customer as of date d (docs/segmentation_rules.md)."""
    purchases = purchases_as_of(customer, orders, d)
    # point in time: the registration date once registered, before that the first sighting
    registered = local_date(customer["registered_at"])
    if registered is not None and registered <= d:
        base = registered
    else:
        base = local_date(customer["first_seen_at"]) or registered
    first_purchase = min((o["order_date"] for o in purchases), default=None)
    if first_purchase is not None and (base is None or first_purchase < base):
        base = first_purchase
    tenure = max(0, (d - base).days) if base is not None else 0
    n = len(purchases)
    out = {"tenure_days": tenure, "purchase_count": n, "tenure_start": base}
    spend_window = [o for o in purchases if (d - o["order_date"]).days < 365]
    spend = sum((o["net_amount_cny"] for o in spend_window), Decimal("0"))
    out["spend"] = spend
    if n == 0:
        out.update(recency_days=None, recency_band="no_purchase", frequency_band="no_purchase")
        out.update(monetary_band="no_purchase", segment="no_purchase", aov=None)
        days_without = tenure
    else:
        last = max(o["order_date"] for o in purchases)
        recency = (d - last).days
        out["recency_days"] = recency
        out["recency_band"] = (
            "active" if recency <= 30 else "dormant" if recency >= 90 else "middle"
        )
        in_window = sum(1 for o in purchases if (d - o["order_date"]).days < 365)
        months = max(Decimal(1), Decimal(min(365, tenure + 1)) * 12 / 365)
        ppm = Decimal(in_window) / months
        # exact comparison in integers, as documented (no rounding of the ratio)
        lhs = in_window * 365
        rhs_unit = max(365, min(365, tenure + 1) * 12)
        out["frequency_band"] = (
            "high" if lhs >= 3 * rhs_unit else "low" if lhs <= rhs_unit else "middle"
        )
        assert (out["frequency_band"] == "high") == (ppm >= 3 - Decimal("1e-20"))
        total = sum((o["net_amount_cny"] for o in purchases), Decimal("0"))
        out["aov"] = (total / n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        out["monetary_band"] = (
            "high" if total >= 200 * n else "low" if total <= 50 * n else "middle"
        )
        r = "active" if out["recency_band"] == "active" else "dormant"
        f = "high" if out["frequency_band"] == "high" else "low"
        m = "high" if out["monetary_band"] == "high" else "low"
        out["segment"] = f"{r}_{f}_freq_{m}_value"
        days_without = recency
    if days_without >= 180:
        stage = "churned"
    elif tenure < 7:
        stage = "new"
    elif n == 0:
        stage = "registered_no_purchase"
    elif tenure < 90:
        stage = "growth"
    else:
        stage = "mature"
    out["stage"] = stage
    tier = "diamond" if spend >= 20000 else "gold" if spend >= 5000 else "silver"
    out["tier"] = tier
    nxt = {"silver": Decimal("5000.00"), "gold": Decimal("20000.00")}.get(tier)
    out["gap"] = None if nxt is None else nxt - spend
    return out


# --------------------------------------------------------------------------- dbt plumbing


def make_project(tmp: Path) -> Path:
    src = PROJECT_ROOT / "dbt_project"
    proj = tmp / "dbt_project"
    for rel in SEGMENTATION_PATHS:
        s, d = src / rel, proj / rel
        if s.is_dir():
            shutil.copytree(s, d)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    for folder, name in (
        ("marts/core", "fct_orders"),
        ("marts/core", "dim_customers"),
        ("intermediate/orders", "int_order_refunds_completed"),
    ):
        stub = proj / "models" / folder / f"{name}.sql"
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text(
            f"{{{{ config(materialized='table') }}}}\nselect * from fixtures.{name}\n",
            encoding="utf-8",
        )
    seeds = tmp / "seeds"
    seeds.mkdir()
    for pattern in SEED_GLOBS:
        for p in (PROJECT_ROOT / "seeds").glob(pattern):
            shutil.copy2(p, seeds / p.name)
    shutil.copy2(
        PROJECT_ROOT / "seeds" / "_segmentation__seeds.yml", seeds / "_segmentation__seeds.yml"
    )
    (tmp / "profiles").mkdir()
    (tmp / "profiles" / "profiles.yml").write_text(PROFILE, encoding="utf-8")
    return proj


def load_fixtures(db: Path, customers: list[dict], orders: list[dict]) -> None:
    con = duckdb.connect(str(db))
    con.execute("create schema if not exists fixtures")
    con.execute(f"create table fixtures.fct_orders ({ORDER_COLUMNS})")
    con.execute(f"create table fixtures.dim_customers ({CUSTOMER_COLUMNS})")
    con.execute(f"create table fixtures.int_order_refunds_completed ({REFUND_COLUMNS})")
    con.executemany(
        "insert into fixtures.fct_orders (order_id, customer_id, status, order_date, ordered_at,"
        " paid_amount_cny, refunded_amount_cny, net_amount_cny, is_fully_refunded)"
        " values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                o["order_id"],
                o["customer_id"],
                o["status"],
                o["order_date"],
                o["ordered_at"],
                o["paid_amount_cny"],
                o["refunded_amount_cny"],
                o["net_amount_cny"],
                o["is_fully_refunded"],
            )
            for o in orders
        ],
    )
    dated = []  # one row per (order, completion date), like int_order_refunds_completed
    for o in orders:
        per_day: dict[date, list[Decimal]] = {}
        for rd, a, raw in o["refunds"]:
            per_day.setdefault(rd, [Decimal("0"), Decimal("0")])
            per_day[rd][0] += a
            per_day[rd][1] += raw
        cumulative = Decimal("0")
        for rd in sorted(per_day):
            cumulative += per_day[rd][0]
            dated.append((o["order_id"], rd, per_day[rd][0], cumulative, per_day[rd][1]))
    con.executemany(
        "insert into fixtures.int_order_refunds_completed values (?, ?, ?, ?, ?)", dated
    )
    con.executemany(
        "insert into fixtures.dim_customers (customer_id, registered_at, first_seen_at)"
        " values (?, ?, ?)",
        [(c["customer_id"], c["registered_at"], c["first_seen_at"]) for c in customers],
    )
    con.close()


def dbt(tmp: Path, proj: Path, db: Path, *args: str) -> None:
    env = {
        **os.environ,
        "LAKEHOUSE_WAREHOUSE_PATH": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [DBT, *args, "--project-dir", str(proj), "--profiles-dir", str(tmp / "profiles")]
    res = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def rows(db: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("segmentation")
    proj = make_project(tmp)
    db = tmp / "warehouse.duckdb"
    customers, orders = make_data()
    load_fixtures(db, customers, orders)
    dbt(tmp, proj, db, "build", "--vars", f"{{state_history_days: {HISTORY_DAYS}}}")
    return tmp, proj, db, customers, orders


# --------------------------------------------------------------------------- tests


def test_as_of_marts_match_python_recompute(built):
    _, _, db, customers, orders = built
    rfm = {r["customer_id"]: r for r in rows(db, "select * from marts.customer_rfm")}
    life = {r["customer_id"]: r for r in rows(db, "select * from marts.customer_lifecycle")}
    tiers = {r["customer_id"]: r for r in rows(db, "select * from marts.customer_membership_tiers")}
    ids = {c["customer_id"] for c in customers}
    assert set(rfm) == set(life) == set(tiers) == ids
    mismatches = []
    for c in customers:
        cid = c["customer_id"]
        exp = evaluate(c, orders, AS_OF)
        got = {
            "as_of": rfm[cid]["as_of_date"],
            "purchase_count": rfm[cid]["purchase_count"],
            "recency_days": rfm[cid]["recency_days"],
            "recency_band": rfm[cid]["recency_band"],
            "frequency_band": rfm[cid]["frequency_band"],
            "monetary_band": rfm[cid]["monetary_band"],
            "segment": rfm[cid]["rfm_segment_code"],
            "aov": rfm[cid]["avg_order_value_cny"],
            "tenure_days": life[cid]["tenure_days"],
            "stage": life[cid]["lifecycle_stage"],
            "spend": tiers[cid]["trailing_12m_net_spend_cny"],
            "tier": tiers[cid]["tier"],
            "gap": tiers[cid]["gap_to_next_tier_cny"],
        }
        want = {k: exp[k] for k in got if k != "as_of"} | {"as_of": AS_OF}
        if got != want:
            mismatches.append((cid, {k: (got[k], want[k]) for k in got if got[k] != want[k]}))
    assert not mismatches, mismatches[:10]
    # the fixture really exercises the edges
    assert {rfm[f"R{n}"]["recency_band"] for n in (30, 31, 89, 90)} == {
        "active",
        "middle",
        "dormant",
    }
    assert rfm["F36"]["frequency_band"] == "high" and rfm["F12"]["frequency_band"] == "low"
    assert [tiers[t]["tier"] for t in ("T1", "T2", "T3", "T4")] == [
        "silver",
        "gold",
        "gold",
        "diamond",
    ]
    assert (
        life["R180"]["lifecycle_stage"] == "churned" and life["R179"]["lifecycle_stage"] == "mature"
    )
    assert [life[f"N{n}"]["lifecycle_stage"] for n in (6, 7, 180)] == [
        "new",
        "registered_no_purchase",
        "churned",
    ]
    assert tiers["T1"]["gap_to_next_tier_text_en"] == "spend 0.01 CNY more for gold"
    # refunds completed after the as-of date do not count on the as-of date
    assert rfm["LATE_FULL"]["has_purchased"] and rfm["LATE_FULL"]["purchase_count"] == 1
    assert tiers["LATE_PART"]["trailing_12m_net_spend_cny"] == Decimal("6000.00")
    assert tiers["LATE_PART"]["tier"] == "gold"
    # a registration after the as-of date is not known on it: tenure from the first sighting
    assert life["REG_AFTER"]["tenure_days"] == 20 and life["LATE_REG"]["tenure_days"] == 10
    # ... while a refund completed before it does (PIT's only order was fully refunded)
    assert not rfm["PIT"]["has_purchased"] and rfm["PIT"]["rfm_segment_code"] == "no_purchase"


def daily_expected(customers, orders) -> dict[tuple[str, date], dict]:
    out = {}
    for k in range(HISTORY_DAYS):
        d = AS_OF - timedelta(days=k)
        for c in customers:
            e = evaluate(c, orders, d)
            if e["tenure_start"] > d:
                continue  # the daily history starts at the customer's tenure start
            out[(c["customer_id"], d)] = {
                "rfm_segment": e["segment"],
                "recency_band": e["recency_band"],
                "lifecycle_stage": e["stage"],
                "membership_tier": e["tier"],
            }
    return out


def daily_actual(db: Path) -> dict[tuple[str, date], dict]:
    got = rows(
        db,
        "select customer_id, state_date, rfm_segment, recency_band, lifecycle_stage,"
        " membership_tier from marts.customer_state_daily",
    )
    return {(r.pop("customer_id"), r.pop("state_date")): r for r in got}


def test_daily_history_matches_python_and_recompute_is_idempotent(built):
    tmp, proj, db, customers, orders = built
    expected = daily_expected(customers, orders)
    first = daily_actual(db)
    assert first == expected
    # point in time: PIT ordered on history day 3 and was fully refunded on day 16
    day1 = AS_OF - timedelta(days=HISTORY_DAYS - 1)
    pit = {(d - day1).days + 1: first[("PIT", d)] for (cid, d) in first if cid == "PIT"}
    assert sorted(pit) == list(range(1, HISTORY_DAYS + 1))
    assert {k for k, v in pit.items() if v["rfm_segment"] != "no_purchase"} == set(range(3, 16))
    assert pit[3]["recency_band"] == "active" and pit[15]["recency_band"] == "active"
    assert pit[16]["recency_band"] == "no_purchase"
    # LATE_REG: in the history from its first sighting (AS_OF - 20), new again at registration
    late_reg = sorted(d for (cid, d) in first if cid == "LATE_REG")
    assert late_reg[0] == AS_OF - timedelta(days=20)
    assert (
        first[("LATE_REG", AS_OF - timedelta(days=11))]["lifecycle_stage"]
        == "registered_no_purchase"
    )
    assert first[("LATE_REG", AS_OF - timedelta(days=10))]["lifecycle_stage"] == "new"

    # an incremental run recomputes the last 7 days (delete+insert): same table afterwards
    def rebuild_states(vars_: str) -> None:
        dbt(tmp, proj, db, "run", "--select", "customer_state_daily", "--vars", vars_)

    rebuild_states("{state_recompute_days: 7}")
    assert daily_actual(db) == expected
    # a backfill of an explicit range is idempotent too
    rebuild_states("{state_start_date: '2026-06-01', state_end_date: '2026-06-10'}")
    assert daily_actual(db) == expected

    def remove_then_backfill(where: str) -> None:
        """Delete rows, check they are missing, then twice: an incremental run restores
        exactly the expected table (no (customer_id, state_date) twice), a rerun changes
        nothing."""
        con = duckdb.connect(str(db))
        try:
            con.execute(f"delete from marts.customer_state_daily where {where}")
        finally:
            con.close()
        assert daily_actual(db) != expected
        for _ in range(2):
            rebuild_states(f"{{state_recompute_days: 7, state_history_days: {HISTORY_DAYS}}}")
            assert daily_actual(db) == expected
            n = rows(db, "select count(*) as n from marts.customer_state_daily")[0]["n"]
            assert n == len(expected)

    # customers new to the table (here: their rows removed, as if their first record arrived
    # late) get their whole history backfilled, the other customers' rows on the backfilled
    # days are kept
    remove_then_backfill("customer_id in ('LATE_REG', 'PIT')")
    # a customer already in the table whose history now starts earlier than its first row (its
    # early rows removed, as if its registration arrived after it was first seen) gets the days
    # before its first row back, and only those
    remove_then_backfill(
        f"customer_id = 'PIT' and state_date < date '{AS_OF - timedelta(days=20)}'"
    )


def test_dormant_to_active_migration_matches_python(built):
    _, _, db, customers, orders = built
    daily = daily_expected(customers, orders)
    got = {
        (r["period_type"], r["period_start"], r["from_state"], r["to_state"]): r
        for r in rows(db, "select * from marts.segment_migration where dimension = 'recency_band'")
    }
    # June 2026: opening snapshot May 31, closing June 30
    opening, closing = date(2026, 5, 31), date(2026, 6, 30)
    ids = {cid for cid, _ in daily}
    pairs = {}
    for cid in ids:
        f = daily.get((cid, opening), {}).get("recency_band", "none")
        t = daily.get((cid, closing), {}).get("recency_band", "none")
        if (cid, opening) in daily or (cid, closing) in daily:
            pairs[(f, t)] = pairs.get((f, t), 0) + 1
    june = {
        (f, t): r["customers"]
        for (p, s, f, t), r in got.items()
        if p == "month" and s == date(2026, 6, 1)
    }
    assert june == pairs
    dormant_total = sum(n for (f, _), n in pairs.items() if f == "dormant")
    if pairs.get(("dormant", "active")):
        share = got[("month", date(2026, 6, 1), "dormant", "active")]["share_of_from_state"]
        assert abs(float(share) - pairs[("dormant", "active")] / dormant_total) < 1e-6


def _plan_nodes(node: dict):
    yield node
    for child in node.get("children", []):
        yield from _plan_nodes(child)


def test_segmentation_joins_are_not_nested_loops(built):
    """Plan shape, not timing: no outer join of the segmentation models is a nested loop. A term
    DuckDB cannot hash (`x is null or ...`, a bare boolean) in an outer join's condition turns the
    (customer, day) x purchase-interval join into one: at 1,000,000 customers it never ended."""
    _, proj, db, _, _ = built
    compiled = proj / "target" / "compiled"
    con = duckdb.connect(str(db), read_only=True)
    try:
        for model in ("customer_state_daily", "int_segmentation__customer_states"):
            sql = next(compiled.rglob(f"{model}.sql")).read_text()
            plan = json.loads(con.execute("explain (format json) " + sql).fetchall()[0][1])
            joins = [
                (n["name"], n.get("extra_info", {}).get("Join Type"))
                for root in plan
                for n in _plan_nodes(root)
                if n.get("name", "").endswith("JOIN")
            ]
            assert any(name == "HASH_JOIN" for name, _ in joins), joins
            outer_loops = [
                (name, kind)
                for name, kind in joins
                if name in ("NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN")
                and kind in ("LEFT", "RIGHT", "OUTER", "FULL")
            ]
            assert not outer_loops, (model, outer_loops)
    finally:
        con.close()


MIGRATION = "select * from marts.segment_migration"
PERIOD_KEY = ("period_type", "period_start", "dimension", "from_state", "to_state")


def _migration(db: Path) -> dict[tuple, dict]:
    return {tuple(r[k] for k in PERIOD_KEY): r for r in rows(db, MIGRATION)}


def _execute(db: Path, sql: str) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_migration_rebuilds_only_the_periods_whose_snapshots_changed(built, tmp_path):
    """segment_migration, incremental: a run rebuilds a period only when its opening or closing
    snapshot changed (fingerprints) or its closing date moved, and drops periods no longer
    reportable. Reference: a --full-refresh of the same warehouse (another copy). The week
    starting June 1 (snapshots May 31, June 7) is tampered with in the table and must survive:
    proof that a period with unchanged snapshots is not rebuilt."""
    tmp, proj, built_db, _, _ = built
    incremental, reference = tmp_path / "incremental.duckdb", tmp_path / "reference.duckdb"
    shutil.copy(built_db, incremental)
    original = _migration(incremental)
    kept_week = ("week", date(2026, 6, 1))
    _execute(
        incremental,
        "update marts.segment_migration set customers = customers + 1000 "
        f"where period_type = 'week' and period_start = date '{kept_week[1]}'",
    )

    def run_both(change: str) -> tuple[dict, dict]:
        for db in (incremental, reference):
            _execute(db, change)
        dbt(tmp, proj, incremental, "run", "--select", "segment_migration")
        dbt(tmp, proj, reference, "run", "--select", "segment_migration", "--full-refresh")
        return _migration(incremental), _migration(reference)

    def without(table: dict, period: tuple) -> dict:
        return {k: v for k, v in table.items() if k[:2] != period}

    # 1. One customer's recency band on June 14: the weeks starting June 8 (closing) and June
    # 15 (opening) change; the other periods keep their snapshots.
    shutil.copy(built_db, reference)
    got, want = run_both(
        "update marts.customer_state_daily set recency_band = case recency_band "
        "when 'active' then 'dormant' else 'active' end "
        "where state_date = date '2026-06-14' "
        "and customer_id = (select min(customer_id) from marts.customer_state_daily "
        "where state_date = date '2026-06-14')"
    )
    assert without(got, kept_week) == without(want, kept_week)
    assert all(got[k]["customers"] == v["customers"] + 1000 for k, v in original.items()
               if k[:2] == kept_week)  # fmt: skip
    for changed in (("week", date(2026, 6, 8)), ("week", date(2026, 6, 15))):
        assert {k: v for k, v in want.items() if k[:2] == changed} != {
            k: v for k, v in original.items() if k[:2] == changed
        }

    # 2. June 21 leaves the history: the week starting June 22 is no longer reportable (gone),
    # the week starting June 15 closes on June 20 now.
    got, want = run_both("delete from marts.customer_state_daily where state_date = '2026-06-21'")
    assert without(got, kept_week) == without(want, kept_week)
    assert not any(k[:2] == ("week", date(2026, 6, 22)) for k in got)
    assert {v["closing_date"] for k, v in got.items() if k[:2] == ("week", date(2026, 6, 15))} == {
        date(2026, 6, 20)
    }
