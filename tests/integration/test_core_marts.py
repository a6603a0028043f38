"""Core and profile marts against the generator's truth (small world: 300 customers x 30 days).

* every order and receipt is in fct_orders once; online orders keep the true status;
* an order attributed to a customer is attributed to the right person (the person owning the
  customer's identifiers), and every card- or phone-identified receipt has a customer;
* order_date is the Asia/Shanghai date of the true order instant;
* dim_customers and customer_profiles have one row per customer; acquisition channel and gender
  agreement with the truth are reported;
* preferred weekday and hour equal a Python count in local time (zoneinfo), also in a zone whose
  offset is not whole hours.

Run: ``.venv/bin/python -m pytest tests/integration/test_core_marts.py -s``
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest

from orchestration.lib.landing import land_inbox
from orchestration.lib.privacy.hashing import keyed_hash
from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.test_identity_ground_truth import (
    RESOLVED_SQL,
    TEST_KEY,
    TYPE_MAP,
    _dbt,
    _make_project,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("core_marts")
    inbox, db = tmp / "inbox", tmp / "warehouse.duckdb"
    gen = subprocess.run(
        [
            sys.executable, "-m", "orchestration.lib.generator", "--customers", "300",
            "--days", "30", "--start", "2026-05-01", "--seed", "3", "--out", str(inbox), "--quiet",
        ],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    land_inbox(db, inbox)
    proj = _make_project(tmp)
    build = _dbt(
        proj, db, "build",
        "--select", "+path:models/marts/core +path:models/marts/profiles",
        "--indirect-selection", "cautious",
    )  # fmt: skip
    truth_dir = inbox / "_truth"

    def truth(name: str, cols: str) -> list[tuple]:
        return duckdb.sql(f"select {cols} from read_parquet('{truth_dir / name}')").fetchall()

    return {"db": db, "proj": proj, "build": build, "truth": truth}


def q(world, sql: str) -> list[tuple]:
    with duckdb.connect(str(world["db"]), read_only=True) as c:
        return c.execute(sql).fetchall()


@pytest.fixture(scope="module")
def person_of_customer(world):
    """customer_id -> the (single) true person owning its identifiers."""
    key = TEST_KEY.encode()
    person_of_key = {}
    for id_type, id_value, person_id, trap in world["truth"](
        "identifiers.parquet", "id_type, id_value, person_id, is_shared_trap"
    ):
        ours = TYPE_MAP.get(id_type)
        if ours and not trap:
            value = keyed_hash(id_value, key) if ours.endswith("_hash") else id_value
            person_of_key[f"{ours}:{value}"] = person_id
    owners: dict[str, set[str]] = {}
    for k, c in q(world, RESOLVED_SQL):
        if k in person_of_key:
            owners.setdefault(c, set()).add(person_of_key[k])
    return {c: next(iter(p)) for c, p in owners.items() if len(p) == 1}


def test_build_passes(world):
    b = world["build"]
    assert b.returncode == 0, b.stdout[-6000:]


def test_every_order_once_with_true_status(world):
    truth_orders = dict(world["truth"]("orders.parquet", "order_id, status"))
    truth_receipts = {r[0] for r in world["truth"]("receipts.parquet", "receipt_id")}
    facts = q(world, "select order_id, order_channel, status from marts.fct_orders")
    online = {o: s for o, ch, s in facts if ch == "online"}
    offline = {o for o, ch, _ in facts if ch == "offline"}
    # dirt (quarantined rows) may drop a few; nothing may appear that the truth lacks
    assert set(online) <= set(truth_orders) and offline <= truth_receipts
    assert len(online) >= 0.97 * len(truth_orders) and len(offline) >= 0.97 * len(truth_receipts)
    wrong = [o for o, s in online.items() if s != truth_orders[o]]
    assert not wrong, wrong[:5]


def test_orders_attributed_to_the_right_person(world, person_of_customer):
    truth_person = dict(world["truth"]("orders.parquet", "order_id, person_id"))
    truth_person.update(
        (r, p)
        for r, p, how in world["truth"]("receipts.parquet", "receipt_id, person_id, identified_by")
        if how in ("card", "phone")
    )
    identified = {
        r for r, how in world["truth"]("receipts.parquet", "receipt_id, identified_by")
        if how in ("card", "phone")
    }  # fmt: skip
    rows = q(world, "select order_id, customer_id from marts.fct_orders")
    checked = right = 0
    for order_id, customer_id in rows:
        if customer_id is None or order_id not in truth_person:
            continue
        owner = person_of_customer.get(customer_id)
        if owner is None:
            continue
        checked += 1
        right += owner == truth_person[order_id]
    missing = [o for o, c in rows if o in identified and c is None]
    print(f"\norders checked against truth: {checked:,}, right person: {right:,}; "
          f"identified receipts without customer: {len(missing)}")  # fmt: skip
    assert checked > 0 and right / checked >= 0.99
    assert not missing


def test_order_date_is_shanghai_date(world):
    truth_ts = dict(world["truth"]("orders.parquet", "order_id, order_time_utc"))
    rows = q(
        world, "select order_id, order_date from marts.fct_orders where order_channel='online'"
    )
    wrong = [
        (o, d) for o, d in rows if o in truth_ts and (truth_ts[o] + timedelta(hours=8)).date() != d
    ]
    assert not wrong, wrong[:5]


def test_one_profile_per_customer_and_truth_agreement(world, person_of_customer):
    n_dim = q(world, "select count(*), count(distinct customer_id) from marts.dim_customers")[0]
    n_prof = q(world, "select count(*) from marts.customer_profiles")[0][0]
    assert n_dim[0] == n_dim[1] == n_prof
    persons = {
        p: (ch, g) for p, ch, g in world["truth"](
            "persons.parquet", "person_id, acquisition_channel, true_gender")
    }  # fmt: skip
    rows = q(world, "select customer_id, acquisition_channel, gender from marts.customer_profiles")
    acq = [(ch, persons[person_of_customer[c]][0]) for c, ch, _ in rows
           if c in person_of_customer and ch is not None]  # fmt: skip
    gen = [(g, persons[person_of_customer[c]][1]) for c, _, g in rows
           if c in person_of_customer and g is not None]  # fmt: skip
    acq_ok = sum(a == b for a, b in acq) / max(len(acq), 1)
    gen_ok = sum(a == (b or "")[:1].upper() for a, b in gen) / max(len(gen), 1)
    print(f"\nprofiles: {n_prof:,}; acquisition channel agrees with truth for {acq_ok:.3f} "
          f"of {len(acq):,}; gender agrees for {gen_ok:.3f} of {len(gen):,}")  # fmt: skip
    assert acq_ok >= 0.7 and gen_ok >= 0.9


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Kathmandu"])
def test_preferred_weekday_and_hour_match_local_time_counted_in_python(world, tmp_path, zone):
    """customer_profiles counts activities per UTC minute and converts each minute once; here
    every event and order is converted with zoneinfo. Asia/Kathmandu (UTC+5:45) puts a quarter of
    each UTC hour in another local hour, so counting per UTC hour would fail."""
    db = world["db"]
    if zone != "Asia/Shanghai":
        db = tmp_path / "warehouse.duckdb"
        shutil.copy(world["db"], db)
        r = _dbt(world["proj"], db, "run", "--select", "customer_profiles",
                 "--vars", f"{{reporting_timezone: {zone}}}")  # fmt: skip
        assert r.returncode == 0, r.stdout[-4000:]
    with duckdb.connect(str(db), read_only=True) as c:
        activities = c.execute(
            "select customer_id, event_at from intermediate.int_app_events_resolved"
            " union all select customer_id, ordered_at from marts.fct_orders"
            " where customer_id is not null"
        ).fetchall()
        profiles = {
            cid: (wd, hr) for cid, wd, hr in c.execute(
                "select customer_id, preferred_weekday, preferred_hour from marts.customer_profiles"
            ).fetchall()
        }  # fmt: skip
    tz, utc = ZoneInfo(zone), ZoneInfo("UTC")
    weekdays, hours = {}, {}
    for cid, at in activities:
        local = at.replace(tzinfo=utc).astimezone(tz)
        weekdays.setdefault(cid, Counter())[local.isoweekday()] += 1
        hours.setdefault(cid, Counter())[local.hour] += 1

    def top(counts: Counter) -> int:  # most activity, ties to the smaller value
        return min(counts, key=lambda k: (-counts[k], k))

    expected = {cid: (top(weekdays[cid]), top(hours[cid])) for cid in weekdays}
    got = {cid: pref for cid, pref in profiles.items() if cid in expected}
    assert len(expected) > 100 and got == expected
    assert all(pref == (None, None) for cid, pref in profiles.items() if cid not in expected)
