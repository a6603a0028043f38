"""The generator works for any world size, down to one customer over one day: feeds or whole
stages may be empty (no sessions, no orders, no receipts, no members), and then the generator
writes fewer files, never crashes, keeps the contract in every file it does write and keeps its
truth complete and typed as in a normal world.

Regression cases are parameter sets that once crashed with
`IndexError: index 0 is out of bounds for axis 0 with size 0` in online._events (no sessions)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib.contract import ENTITIES
from orchestration.lib.generator import generate
from tests.unit.test_generator import norm_phone, records, truth

START = dt.date(2025, 11, 1)

# Columns that carry an identifier, with the identifier type the truth lists it under.
ID_COLUMNS = {
    "app/events": {"user_id": "user_id", "device_id": "device_id", "openid": "openid"},
    "shop/orders": {"user_id": "user_id", "device_id": "device_id", "receiver_phone": "phone"},
    "membership/members": {
        "member_id": "member_id",
        "card_no": "card_no",
        "user_id": "user_id",
        "phone": "phone",
        "email": "email",
        "national_id": "national_id",
    },
    "pos/receipts": {"member_card_no": "card_no", "phone": "phone"},
    "pos/assistant_interactions": {"member_card_no": "card_no", "phone": "phone"},
    "logistics/shipments": {"receiver_phone": "phone"},
    "social/tags": {"phone": "phone"},
    "dmp/segments": {"device_id": "device_id"},
    "membership/points_ledger": {"member_id": "member_id"},
}


@pytest.fixture(scope="module")
def reference_truth_schemas(tmp_path_factory) -> dict[str, object]:
    """Truth schemas of a normal-sized world: small worlds must not change column types."""
    out = tmp_path_factory.mktemp("reference")
    generate(200, 10, START, 42, out, 0.02, progress=False)
    return {p.name: pq.read_schema(p) for p in (out / "_truth").glob("*.parquet")}


def check_world(out: Path, days: int, reference: dict[str, object]) -> None:
    manifest = json.loads((out / "_truth" / "manifest.json").read_text())
    dates = {(START + dt.timedelta(days=d)).strftime("%Y%m%d") for d in range(days)}

    # Every written file: contract name, a day inside the window, contract header / keys.
    for ent in ENTITIES:
        folder = out / ent.source / ent.name
        files = sorted(folder.glob("*")) if folder.exists() else []
        lines = 0
        for f in files:
            m = re.fullmatch(rf"{ent.name}_(\d{{8}})(_resend)?\.{ent.format}", f.name)
            assert m and m.group(1) in dates, f
            text = f.read_text(encoding="utf-8")
            body = text.splitlines()
            if ent.format == "csv":
                with open(f, encoding="utf-8", newline="") as fh:
                    assert next(csv.reader(fh)) == list(ent.columns), f
                body = body[1:]
            assert body, f"{f} has no data lines"
            lines += 0 if m.group(2) else len(body)
        assert lines == manifest["entities"][ent.key]["lines_written"], ent.key
        if ent.format == "jsonl":
            for rec in records(out, ent.key)[0]:
                assert [k for k in rec if k != "_file"] == list(ent.columns), (ent.key, rec)

    # The truth is complete and typed as in a normal world, however empty its tables are.
    schemas = {p.name: pq.read_schema(p) for p in (out / "_truth").glob("*.parquet")}
    assert set(schemas) == set(reference)
    for name, schema in schemas.items():
        assert schema.equals(reference[name]), (name, schema, reference[name])

    # The truth's identifiers cover every identifier in the files.
    known = {(i["id_type"], i["id_value"]) for i in truth(out, "identifiers")}
    seen: set[tuple[str, str]] = set()
    for key, cols in ID_COLUMNS.items():
        for rec in records(out, key)[0]:
            for col, kind in cols.items():
                v = rec[col]
                if not v:
                    continue
                if kind == "phone":
                    v = norm_phone(v)
                elif kind == "email":
                    v = v.strip().lower()
                elif kind == "national_id":
                    v = v.upper()
                seen.add((kind, v))
    missing = seen - known
    assert not missing, sorted(missing)[:5]

    # ... and every order, receipt and event in the files is in the truth.
    for key, name, col in (
        ("shop/orders", "orders", "order_id"),
        ("pos/receipts", "receipts", "receipt_id"),
        ("app/events", "events", "event_id"),
    ):
        in_files = {r[col] for r in records(out, key)[0]}
        assert in_files <= {t[col] for t in truth(out, name)}, key


def run(customers: int, days: int, seed: int, dirt_rate: float, reference) -> None:
    with tempfile.TemporaryDirectory(prefix="gen-small-") as d:
        out = Path(d)
        report = generate(customers, days, START, seed, out, dirt_rate, progress=False)
        assert set(report.rows_clean) == {e.key for e in ENTITIES}
        check_world(out, days, reference)


@pytest.mark.parametrize(
    ("customers", "days", "seed"),
    [(10, 10, 3), (5, 1, 1), (1, 2, 3), (2, 30, 4), (1, 1, 0)],
)
@pytest.mark.parametrize("dirt_rate", [0.0, 0.02])
def test_small_worlds_that_crashed(customers, days, seed, dirt_rate, reference_truth_schemas):
    run(customers, days, seed, dirt_rate, reference_truth_schemas)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    customers=st.integers(1, 60),
    days=st.integers(1, 15),
    seed=st.integers(0, 10_000),
    dirt_rate=st.floats(0.0, 0.3),
)
def test_any_small_world_generates_contract_files_and_truth(
    customers, days, seed, dirt_rate, reference_truth_schemas
):
    run(customers, days, seed, dirt_rate, reference_truth_schemas)
