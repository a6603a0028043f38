"""The audience layer and the acquisition audiences on a generated world, against independent
Python recomputations.

One world (1,500 customers x 60 days), built through dbt three times: as of day D1, as of
D2 = D1 + 1, and as of D2 again. Checked:

* welcome_benefits is exactly the Python reading of its rule (window, no purchase yet, most
  specific seed row) on dim_customers, on both dates;
* the holdout flag of every member is md5(salt|audience|customer) mod 100 < holdout_percent,
  recomputed in Python, and a customer keeps their group from D1 to D2;
* audience_changes of D2 is the set difference of the D2 and D1 snapshots (D1: all adds);
  audience_versions counts them and numbers the versions 1, 2; re-running D2 changes nothing;
* the export writes the treatment members only, hashed ids only, and the same bytes twice.

Run: ``.venv/bin/python -m pytest tests/integration/test_activation_audiences.py -s``
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from orchestration.lib.audiences import export_audiences
from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.activation_world import ACTIVATION_D1, ACTIVATION_D2, SNAPSHOT_TABLES

D1, D2 = ACTIVATION_D1, ACTIVATION_D2
AUDIENCE_TABLES = SNAPSHOT_TABLES


@pytest.fixture(scope="module")
def world(activation_world):
    return activation_world


def _seed(name: str) -> list[dict]:
    with open(PROJECT_ROOT / "seeds" / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


def _param(name: str) -> str:
    return {r["parameter"]: r["value"] for r in _seed("acquisition_parameters")}[name]


def expected_welcome(dim_customers: list[dict], as_of: date) -> dict[str, str]:
    """customer_id -> benefit_code, read straight from the rule in the docs."""
    window = int(_param("welcome_window_days"))
    rules = _seed("welcome_benefit_rules")
    out = {}
    for c in dim_customers:
        # first_seen_at is naive UTC; the reporting zone is Asia/Shanghai (UTC+8, no DST).
        seen = (c["first_seen_at"] + timedelta(hours=8)).date()
        first_order = c["first_order_date"]
        if not (as_of - timedelta(days=window) < seen <= as_of):
            continue
        if first_order is not None and first_order <= as_of:
            continue

        def score(r, c=c):
            ch, pl = r["acquisition_channel"], r["acquisition_platform"]
            channel, platform = c["acquisition_channel"], c["acquisition_platform"]
            if ch not in ("*", channel) or pl not in ("*", platform):
                return -1
            return (2 if ch != "*" else 0) + (1 if pl != "*" else 0)

        best = max(rules, key=score)
        assert score(best) >= 0
        out[c["customer_id"]] = best["benefit_code"]
    return out


@pytest.mark.parametrize("day", ["d1", "d2"])
def test_welcome_benefits_match_python_rule(world, day):
    state = world[day]
    expected = expected_welcome(state["dim_customers"], state["as_of"])
    actual = {r["customer_id"]: r["benefit_code"] for r in state["welcome"]}
    assert len(actual) == len(state["welcome"])
    assert actual == expected
    assert len(expected) >= 20, "the world must have new customers for this test to mean anything"
    print(f"\n{day}: {len(expected)} new customers, benefits {sorted(set(expected.values()))}")


def _bucket(audience: str, customer_id: str, salt: str = "v1") -> int:
    return int(hashlib.md5(f"{salt}|{audience}|{customer_id}".encode()).hexdigest()[:8], 16) % 100


def test_holdout_is_the_persistent_md5_bucket(world):
    holdout = {r["audience_code"]: int(r["holdout_percent"]) for r in _seed("audience_definitions")}
    for day in ("d1", "d2"):
        members = world[day]["members"]
        assert members, "no audience members"
        for m in members:
            bucket = _bucket(m["audience_code"], m["customer_id"])
            assert m["holdout_bucket"] == bucket
            assert m["is_holdout"] == (bucket < holdout[m["audience_code"]]), m
    d1 = {(m["audience_code"], m["customer_id"]): m["is_holdout"] for m in world["d1"]["members"]}
    d2 = {(m["audience_code"], m["customer_id"]): m["is_holdout"] for m in world["d2"]["members"]}
    both = d1.keys() & d2.keys()
    assert both, "no member in both snapshots: persistence is not exercised"
    assert all(d1[k] == d2[k] for k in both)


def test_holdout_share_is_near_the_seed_percent():
    """The bucket is uniform: over 20,000 ids the 10 % holdout is within 4 sigma of 10 %."""
    n = 20_000
    share = sum(_bucket("welcome_new_customers", f"{i:032x}") < 10 for i in range(n)) / n
    assert abs(share - 0.10) < 4 * (0.1 * 0.9 / n) ** 0.5


def _keys(rows, day: date | None = None) -> set[tuple]:
    return {
        (r["audience_code"], r["customer_id"], r["offer_code"])
        for r in rows
        if day is None or r["snapshot_date"] == day
    }


def test_snapshots_changes_and_versions_reconcile(world):
    d2 = world["d2"]
    snaps = d2["audience_snapshots"]
    assert {r["snapshot_date"] for r in snaps} == {D1, D2}
    s1, s2 = _keys(snaps, D1), _keys(snaps, D2)
    assert s1 == _keys(world["d1"]["members"]) and s2 == _keys(d2["members"])

    changes = d2["audience_changes"]
    adds = {k for k in _keys([c for c in changes if c["change_type"] == "add"], D2)}
    removes = {k for k in _keys([c for c in changes if c["change_type"] == "remove"], D2)}
    assert adds == s2 - s1 and removes == s1 - s2
    first_adds = _keys([c for c in changes if c["change_type"] == "add"], D1)
    assert first_adds == s1 and not _keys([c for c in changes if c["change_type"] == "remove"], D1)

    codes = {r["audience_code"] for r in _seed("audience_definitions")}
    versions = {(v["audience_code"], v["snapshot_date"]): v for v in d2["audience_versions"]}
    assert set(versions) == {(c, d) for c in codes for d in (D1, D2)}
    for code in codes:
        v1, v2 = versions[(code, D1)], versions[(code, D2)]
        assert (v1["version_number"], v2["version_number"]) == (1, 2)
        members2 = [r for r in snaps if r["snapshot_date"] == D2 and r["audience_code"] == code]
        assert v2["member_offers"] == len(members2)
        assert v2["member_customers"] == len({r["customer_id"] for r in members2})
        holdout_ids = {r["customer_id"] for r in members2 if r["is_holdout"]}
        assert v2["holdout_customers"] == len(holdout_ids)
        assert v2["added_offers"] == len({k for k in adds if k[0] == code})
        assert v2["removed_offers"] == len({k for k in removes if k[0] == code})
        assert v1["definition_hash"] == v2["definition_hash"]


def test_rerunning_a_date_changes_nothing(world):
    for t in AUDIENCE_TABLES:
        key = sorted(world["d2"][t], key=repr)
        assert sorted(world["rerun"][t], key=repr) == key, t


def test_export_writes_treatment_hashed_ids_idempotently(world, tmp_path):
    db = world["db"]
    first = export_audiences(db, tmp_path / "exports")
    snaps = world["rerun"]["audience_snapshots"]
    assert set(first.folders) == {r["audience_code"] for r in _seed("audience_definitions")}
    digests = {}
    for code, folder in first.folders.items():
        table = pq.read_table(f"{folder}/members.parquet").to_pylist()
        expected = {
            (r["customer_id"], r["offer_code"])
            for r in snaps
            if r["audience_code"] == code and r["snapshot_date"] == D2 and not r["is_holdout"]
        }
        assert {(r["customer_id"], r["offer_code"]) for r in table} == expected
        assert len(table) == len(expected) == first.rows[code]
        assert all(re.fullmatch(r"[0-9a-f]{32}", r["customer_id"]) for r in table)
        with open(f"{folder}/members.csv", newline="") as f:
            assert [(r["customer_id"], r["offer_code"]) for r in csv.DictReader(f)] == [
                (r["customer_id"], r["offer_code"]) for r in table
            ]
        manifest = json.loads(Path(folder, "manifest.json").read_text())
        assert manifest["snapshot_date"] == D2.isoformat() and manifest["version_number"] == 2
        digests[code] = {
            p: hashlib.sha256(Path(folder, p).read_bytes()).hexdigest()
            for p in ("members.parquet", "members.csv", "manifest.json")
        }
    again = export_audiences(db, tmp_path / "exports")
    for code, folder in again.folders.items():
        for p, digest in digests[code].items():
            assert hashlib.sha256(Path(folder, p).read_bytes()).hexdigest() == digest
