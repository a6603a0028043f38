"""Staging on hand-made raw data: privacy, quarantine, reconciliation, incremental idempotence.

Builds a throw-away copy of the staging part of the dbt project (models/staging,
models/intermediate/enrichment, the macros, tests and seeds staging needs) in a temp directory,
so parallel work elsewhere in dbt_project cannot break it and it writes no target/ or logs/ in
the repository. The raw tables are created from orchestration.lib.contract exactly as landing
creates them (declared columns VARCHAR + lineage columns) in a temp DuckDB file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.contract import ENTITIES, RAW_SCHEMA, entity
from orchestration.lib.privacy.hashing import keyed_hash
from orchestration.lib.settings import PROJECT_ROOT

DBT = str(Path(os.environ.get("VIRTUAL_ENV", PROJECT_ROOT / ".venv")) / "bin" / "dbt")
TEST_KEY = "itest-secret-Kx9-qq7-pii-key-never-leak"

# What of the dbt project the staging layer is: copied into the temp project.
STAGING_PATHS = [
    "dbt_project.yml",
    "models/staging",
    "models/intermediate/enrichment",
    "macros/generate_schema_name.sql",
    "macros/portable",
    "macros/privacy",
    "macros/staging",
    "tests/generic",
    "tests/singular/staging",
]
FIXTURE_STORES = (
    "store_id,store_name,city,region_code,timezone,opened_date\n"
    "ST001,Shanghai Flagship,Shanghai,310000,Asia/Shanghai,2016-05-20\n"
    "ST900,Urumqi Test Store,Urumqi,650000,Asia/Urumqi,2020-01-01\n"
)

T1 = datetime(2026, 6, 18, 2, 0, 0)
T2 = datetime(2026, 6, 19, 2, 0, 0)

PHONE = "+86 138 1234 5678"
E164 = "+8613812345678"
OPENID_HASH = keyed_hash("oWECHAT123", TEST_KEY.encode())  # a viewer in the community rows


def make_project(tmp: Path) -> Path:
    """Copy the staging part of the dbt project and the seeds into tmp; return the project dir."""
    src = PROJECT_ROOT / "dbt_project"
    proj = tmp / "dbt_project"
    for rel in STAGING_PATHS:
        s, d = src / rel, proj / rel
        if s.is_dir():
            shutil.copytree(s, d)
        elif s.exists():
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    seeds = tmp / "seeds"
    seeds.mkdir()
    for p in (PROJECT_ROOT / "seeds").glob("region_*.csv"):
        shutil.copy2(p, seeds / p.name)
    shutil.copy2(PROJECT_ROOT / "seeds" / "_seeds.yml", seeds / "_seeds.yml")
    # Our own small stores seed (two zones), whatever the generator's seed holds.
    (seeds / "stores.csv").write_text(FIXTURE_STORES, encoding="utf-8")
    shutil.copytree(
        PROJECT_ROOT / "profiles", tmp / "profiles", ignore=shutil.ignore_patterns(".user.yml")
    )
    return proj


def create_raw(db: Path, rows: dict[str, list[dict]]) -> None:
    """Create every raw table of the contract (empty unless rows given) and insert rows.

    rows: {"shop/orders": [{"order_id": "o1", ..., "_loaded_at": T1, "_line_number": 2}]}
    Missing declared columns are NULL; lineage defaults are filled in.
    """
    con = duckdb.connect(str(db))
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for e in ENTITIES:
        cols = ", ".join(f'"{c}" varchar' for c in e.columns)
        con.execute(
            f"create table if not exists {RAW_SCHEMA}.{e.raw_table} ({cols}, _extra varchar, "
            "_source_file varchar, _file_sha256 varchar, _line_number bigint, _loaded_at timestamp)"
        )
    for key, recs in rows.items():
        e = entity(*key.split("/"))
        names = [*e.columns, "_extra", "_source_file", "_file_sha256", "_line_number", "_loaded_at"]
        for i, rec in enumerate(recs, start=2):
            unknown = set(rec) - set(names)
            assert not unknown, (key, unknown)
            rec = {
                "_source_file": f"{key}/f1.csv",
                "_file_sha256": "0" * 64,
                "_line_number": i,
                "_loaded_at": T1,
                **rec,
            }
            con.execute(
                f"insert into {RAW_SCHEMA}.{e.raw_table} ({', '.join(names)}) "
                f"values ({', '.join('?' * len(names))})",
                [rec.get(n) for n in names],
            )
    con.close()


def run_dbt(proj: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "LAKEHOUSE_WAREHOUSE_PATH": str(db),
        "LAKEHOUSE_PII_KEY": TEST_KEY,
        "LAKEHOUSE_DUCKDB_TEMP_DIR": str(db.parent / "duckdb_tmp"),
        "LAKEHOUSE_DUCKDB_MEMORY_LIMIT": "1GB",
        "LAKEHOUSE_DBT_THREADS": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [
        DBT,
        *args,
        "--project-dir",
        str(proj),
        "--profiles-dir",
        str(proj.parent / "profiles"),
        "--log-path",
        str(proj / "logs"),
        "--target-path",
        str(proj / "target"),
    ]
    return subprocess.run(
        cmd, env=env, capture_output=True, text=True, cwd=proj.parent, timeout=600
    )


def _f(name: str, loaded_at: datetime = T1):
    return {"_source_file": name, "_loaded_at": loaded_at}


# Hand-made raw rows. Comments say what each row is for; "Q:" = expected quarantine reason.
RAW_BATCH_1: dict[str, list[dict]] = {
    "app/events": [
        {
            "event_id": "e1",
            "event_type": "view",
            "event_time": "2026-06-18T20:15:03+08:00",
            "device_id": "d1",
            "platform": "ios",
            "price_cny": "12.50",
            "quantity": "1",
        },
        {
            "event_id": "e1",
            "event_type": "view",
            "event_time": "2026-06-18T20:15:03+08:00",
            "device_id": "d1",
            "platform": "ios",
            "price_cny": "12.50",
            "quantity": "1",
        },  # exact dup
        {
            "event_id": "e2",
            "event_type": "search",
            "event_time": "2026-06-18 20:15:03",
            "device_id": "d2",
            "search_query": "razor",
        },
        {
            "event_id": "e3",
            "event_type": "pay",
            "event_time": "1781784903000",
            "device_id": "d1",
            "order_id": "o1",
            "user_id": "u1",
        },
        {"event_id": "e4", "event_type": "view", "event_time": "yesterday", "device_id": "d1"},  # Q
        {
            "event_id": "e5",
            "event_type": "teleport",
            "event_time": "2026-06-18T12:15:03Z",
            "device_id": "d1",
        },  # Q unknown event_type
        {
            "event_id": " ",
            "event_type": "view",
            "event_time": "2026-06-18T12:15:03Z",
            "device_id": "d1",
        },  # Q missing event_id
        {
            "event_id": "e6",
            "event_type": "view",
            "event_time": "2026-06-18T12:15:03Z",
            "device_id": "d1",
            "price_cny": "-1",
        },  # Q negative
        {
            "event_id": "e7",
            "event_type": "VIEW",
            "event_time": "2026-06-18T12:15:03Z",
            "device_id": "d3",
            "platform": "IOS",
        },
    ],
    "shop/orders": [
        {
            "order_id": "o1",
            "user_id": "u1",
            "order_time": "2026-06-18 20:00:00",
            "status": "paid",
            "region": "广东省",
            "receiver_phone": PHONE,
            "items_amount_cny": "100",
            "discount_cny": "10",
            "pay_amount_cny": "90",
        },
        {
            "order_id": "o2",
            "user_id": "u2",
            "order_time": "2026-06-18T12:00:00Z",
            "status": "paid",
            "region": "440300",
            "receiver_phone": "0086-13912345678",
            "items_amount_cny": "50",
            "pay_amount_cny": "50",
        },
        {
            "order_id": "o3",
            "user_id": "u3",
            "order_time": "2026-06-18T12:00:00Z",
            "status": "paid",
            "receiver_phone": "010-12345678",
            "items_amount_cny": "5",
            "pay_amount_cny": "5",
        },  # Q invalid receiver_phone (landline)
        {
            "order_id": "o4",
            "user_id": "u4",
            "order_time": "2026-06-18T12:00:00Z",
            "status": "paid",
            "region": "Guangdong",
            "items_amount_cny": "5",
            "pay_amount_cny": "-5",
        },  # Q negative
        {
            "order_id": "o5",
            "user_id": "u5",
            "order_time": "2026-06-18T12:00:00Z",
            "status": "cancelled",
            "region": "Atlantis",
            "items_amount_cny": "5",
            "pay_amount_cny": "5",
        },  # kept, region_code NULL
    ],
    "shop/order_items": [
        {
            "order_id": "o1",
            "line_no": "1",
            "sku": "s-r",
            "category": "razors",
            "quantity": "1",
            "unit_price_cny": "60",
            "discount_cny": "6",
        },
        {
            "order_id": "o1",
            "line_no": "2",
            "sku": "s-c",
            "category": "electronics",
            "quantity": "1",
            "unit_price_cny": "40",
            "discount_cny": "4",
        },
        {
            "order_id": "o2",
            "line_no": "1",
            "sku": "s-p",
            "category": "sanitary_pads",
            "quantity": "2",
            "unit_price_cny": "25",
        },
        {
            "order_id": "o2",
            "line_no": "2",
            "sku": "s-k",
            "category": "cosmetics",
            "quantity": "x",
            "unit_price_cny": "25",
        },  # Q unparseable quantity
        {
            "order_id": "o2",
            "line_no": "3",
            "sku": "s-k",
            "category": "cosmetics",
            "quantity": "1",
            "unit_price_cny": "25",
        },
    ],
    "shop/payments": [
        {
            "payment_id": "p1",
            "order_id": "o1",
            "paid_time": "2026-06-18 20:01:00",
            "method": "alipay",
            "amount_cny": "90",
            "status": "success",
        },
        {"payment_id": "p2", "order_id": "o2", "amount_cny": "50"},  # Q missing paid_time
    ],
    "shop/refunds": [
        {
            "refund_id": "r1",
            "order_id": "o1",
            "refund_type": "refund",
            "amount_cny": "10",
            "requested_time": "2026-06-19 09:00:00",
        },
        {
            "refund_id": "r2",
            "order_id": "o1",
            "amount_cny": "abc",
            "requested_time": "2026-06-19 09:00:00",
        },  # Q unparseable amount
    ],
    "membership/members": [
        {
            "member_id": "m1",
            "card_no": "C1",
            "user_id": "u1",
            "phone": PHONE,
            "email": " Alice@Example.COM ",
            "national_id": "11010519491231002x",
            "gender": "女",
            "birth_date": "1990-01-02",
            "register_time": "2025-01-01 10:00:00",
            "region": "广东",
        },
        {
            "member_id": "m2",
            "card_no": "C2",
            "user_id": "u2",
            "gender": "",
            "register_time": "2025-01-01 10:00:00",
            "region": "shanghai",
        },  # imputed F (pads)
        {
            "member_id": "m3",
            "card_no": "C3",
            "gender": "male",
            "register_time": "2025-01-01 10:00:00",
        },
        {
            "member_id": "m4",
            "card_no": "C4",
            "gender": "X",
            "register_time": "2025-01-01 10:00:00",
        },  # Q unknown gender
        {
            "member_id": "m5",
            "card_no": "C5",
            "email": "not-an-email",
            "register_time": "2025-01-01 10:00:00",
        },  # Q invalid email
        {"member_id": "m6", "card_no": "C6", "register_time": "2025-01-01 10:00:00"},  # M (razors)
        {
            "member_id": "m7",
            "card_no": "C7",
            "phone": "137-0000-1111",
            "register_time": "2025-01-01 10:00:00",
        },  # imputed F (mothers group)
        {
            "member_id": "m8",
            "card_no": "C8",
            "user_id": "u1",
            "register_time": "2025-01-01 10:00:00",
        },  # razors + electronics: 1 M signal only
    ],
    "membership/points_ledger": [
        {
            "entry_id": "pl1",
            "member_id": "m1",
            "points": "90",
            "reason": "purchase",
            "occurred_time": "2026-06-18 20:02:00",
            "order_id": "o1",
        },
        {"entry_id": "pl2", "member_id": "m1", "occurred_time": "2026-06-18 20:02:00"},  # Q
    ],
    "membership/level_changes": [
        {
            "change_id": "lc1",
            "member_id": "m1",
            "from_level": "silver",
            "to_level": "gold",
            "changed_time": "2026-06-18 20:03:00",
        },
    ],
    "pos/receipts": [
        {
            "receipt_id": "rc1",
            "store_id": "ST001",
            "receipt_time": "2026-06-18 23:30:00",
            "member_card_no": "C6",
            "phone": "13812345678",
            "total_cny": "120",
        },
        {
            "receipt_id": "rc2",
            "store_id": "ST900",
            "receipt_time": "2026-06-18 10:00:00",
            "total_cny": "20",
        },
        {
            "receipt_id": "rc3",
            "store_id": "ST999",
            "receipt_time": "2026-06-18 10:00:00",
            "total_cny": "20",
        },  # Q unknown store
        {
            "receipt_id": "rc4",
            "store_id": "ST001",
            "receipt_time": "1781784903000",
            "member_card_no": "C6",
            "total_cny": "60",
        },
    ],
    "pos/receipt_lines": [
        {
            "receipt_id": "rc1",
            "line_no": "1",
            "sku": "s-r",
            "category": "razors",
            "quantity": "1",
            "unit_price_cny": "60",
        },
        {
            "receipt_id": "rc1",
            "line_no": "2",
            "sku": "s-r2",
            "category": "razors",
            "quantity": "1",
            "unit_price_cny": "60",
        },
        {
            "receipt_id": "rc4",
            "line_no": "1",
            "sku": "s-r",
            "category": "razors",
            "quantity": "1",
            "unit_price_cny": "60",
        },
    ],
    "pos/footfall": [
        {
            "store_id": "ST001",
            "sensor_id": "s1",
            "hour_start": "2026-06-18 10:00:00",
            "entries": "5",
            "exits": "4",
        },
        {
            "store_id": "ST001",
            "sensor_id": "s1",
            "hour_start": "2026-06-18T02:00:00Z",
            "entries": "6",
            "exits": "4",
        },  # same hour, other spelling: logical dup (later line wins)
        {
            "store_id": "ST001",
            "sensor_id": "s2",
            "hour_start": "2026-06-18 10:00:00",
            "entries": "-1",
        },  # Q negative
    ],
    "pos/assistant_interactions": [
        {
            "interaction_id": "ai1",
            "store_id": "ST001",
            "assistant_id": "a1",
            "interaction_time": "2026-06-18 11:00:00",
            "phone": "+86 (139) 1234-5678",
            "interaction_type": "trial",
            "duration_s": "120",
        },
    ],
    "logistics/shipments": [
        {
            "shipment_id": "sh1",
            "order_id": "o1",
            "carrier": "sf",
            "region": "Shanghai",
            "receiver_phone": PHONE,
            "promised_time": "2026-06-20 18:00:00",
            "delivered_time": "2026-06-21 09:00:00",
            "preferred_slot": "weekend",
        },
    ],
    "social/tags": [
        {
            "platform": "wechat",
            "phone": "137 0000 1111",
            "tag": "mothers_group_active",
            "confidence": "0.9",
            "observed_time": "2026-06-01 10:00:00",
        },
        {
            "platform": "wechat",
            "phone": "+8613700001111",
            "tag": "mothers_group_active",
            "confidence": "0.8",
            "observed_time": "2026-05-01 10:00:00",
        },  # older: dup
        {
            "platform": "wechat",
            "phone": "12345",
            "tag": "student",
            "observed_time": "2026-06-01 10:00:00",
        },  # Q invalid phone
    ],
    "dmp/segments": [
        {
            "device_id": "d1",
            "segment_code": "new_parent",
            "score": "0.7",
            "valid_from": "2026-06-01",
            "valid_to": "2026-07-01",
        },
        {"device_id": "d1", "segment_code": "premium_beauty", "valid_from": "soon"},  # Q
    ],
    "community/groups": [
        {"group_id": "G1", "theme": "Mothers", "created_time": "2026-05-01 20:00:00"},
        {"group_id": "G2", "theme": "pets", "created_time": "2026-05-01 20:00:00"},  # Q
    ],
    "community/group_members": [
        {
            "group_id": "G1",
            "user_id": "u1",
            "openid": " oWECHAT123 ",
            "joined_time": "2026-05-02 09:00:00",
        },
        {"group_id": "G1", "user_id": "u2", "joined_time": "2026-05-02T09:00:00+08:00"},
        {"group_id": "G1", "openid": "oANON", "joined_time": "2026-05-02 09:00:00"},  # Q
    ],
    "community/group_messages_daily": [
        {"group_id": "G1", "message_date": "2026-06-17", "message_count": "61"},
        {"group_id": "G1", "message_date": "2026-06-18", "message_count": "-1"},  # Q
    ],
    "live/sessions": [
        {
            "session_id": "L1",
            "category": "cosmetics",
            "start_time": "2026-06-20 20:00:00",
            "planned_minutes": "90",
        },
    ],
    "live/attendance": [
        {
            "session_id": "L1",
            "openid": "oWECHAT123",
            "joined_time": "2026-06-20 20:05:00",
            "watch_seconds": "abc",
        },  # Q
        {
            "session_id": "L1",
            "openid": "oWECHAT123",
            "joined_time": "2026-06-20 20:05:00",
            "watch_seconds": "600",
        },
    ],
}

# Second delivery, landed a day later: a late corrected copy of e1, a new event, a re-sent order
# with a new status, and a copy of an order line. Exercises incremental dedup across batches.
RAW_BATCH_2: dict[str, list[dict]] = {
    "app/events": [
        {
            "event_id": "e1",
            "event_type": "view",
            "event_time": "2026-06-18T20:15:03+08:00",
            "device_id": "d1-fixed",
            "platform": "ios",
            **_f("app/events/f2.jsonl", T2),
        },
        {
            "event_id": "e8",
            "event_type": "share",
            "event_time": "2026-06-19 08:00:00",
            "device_id": "d2",
            **_f("app/events/f2.jsonl", T2),
        },
    ],
    "shop/orders": [
        {
            "order_id": "o1",
            "user_id": "u1",
            "order_time": "2026-06-18 20:00:00",
            "status": "cancelled",
            "region": "广东省",
            "receiver_phone": PHONE,
            "items_amount_cny": "100",
            "discount_cny": "10",
            "pay_amount_cny": "90",
            **_f("shop/orders/f2.csv", T2),
        },
    ],
    "shop/order_items": [
        {
            "order_id": "o1",
            "line_no": "1",
            "sku": "s-r",
            "category": "razors",
            "quantity": "1",
            "unit_price_cny": "60",
            "discount_cny": "6",
            **_f("shop/order_items/f2.csv", T2),
        },
    ],
}

# (entity, record_key, reason) expected in quarantine after batch 1.
EXPECTED_QUARANTINE = {
    "app": {
        ("events", "e4", "unparseable event_time"),
        ("events", "e5", "unknown event_type"),
        ("events", "", "missing event_id"),
        ("events", "e6", "negative price_cny"),
    },
    "shop": {
        ("orders", "o3", "invalid receiver_phone"),
        ("orders", "o4", "negative pay_amount_cny"),
        ("order_items", "o2|2", "unparseable quantity"),
        ("payments", "p2", "missing paid_time"),
        ("refunds", "r2", "unparseable amount_cny"),
    },
    "membership": {
        ("members", "m4", "unknown gender"),
        ("members", "m5", "invalid email"),
        ("points_ledger", "pl2", "missing points"),
    },
    "pos": {
        ("receipts", "rc3", "unknown store_id (no timezone)"),
        ("footfall", "ST001|s2|2026-06-18 10:00:00", "negative entries"),
    },
    "logistics": set(),
    "dmp": {("segments", "d1|premium_beauty|soon", "unparseable valid_from")},
    "community": {
        ("groups", "G2", "unknown theme"),
        ("group_members", "G1|", "missing user_id"),
        ("group_messages_daily", "G1|2026-06-18", "negative message_count"),
    },
    "live": {("attendance", f"L1||{OPENID_HASH}|2026-06-20 20:05:00", "unparseable watch_seconds")},
}

PII_COLUMNS = {c for e in ENTITIES for c in e.pii}
# Personal-data patterns. The phone pattern is bounded by non-alphanumerics: a *_hash value is
# 64 hex chars, so any 11-digit run inside it touches a digit or a-f letter on at least one
# side; without the bounds, 1[3-9] followed by 9 digits inside a hash would be a false positive.
# RE2 has no look-around, hence (^|[^0-9A-Za-z]) instead of (?<![0-9A-Za-z]).
PII_PATTERNS = {
    "mainland mobile": r"(^|[^0-9A-Za-z])(\+?86[ -]?)?1[3-9][0-9]{9}([^0-9A-Za-z]|$)",
    "national id": r"(^|[^0-9A-Za-z])[0-9]{17}[0-9Xx]([^0-9A-Za-z]|$)",
    "e-mail": r"[^@ ]+@[^@ ]+[.][A-Za-z]{2,}",
}


def tables(con, where: str) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where {where} order by 1, 2"
    ).fetchall()


def snapshot(con, schema: str, table: str) -> list[tuple]:
    return con.execute(f"select * from {schema}.{table} order by all").fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("staging")
    proj = make_project(tmp)
    db = tmp / "warehouse.duckdb"
    create_raw(db, RAW_BATCH_1)
    result = run_dbt(proj, db, "build")
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    return proj, db


def connect(db: Path):
    return duckdb.connect(str(db), read_only=True)


def test_no_raw_pii_column_outside_raw(built):
    _, db = built
    with connect(db) as con:
        cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where table_schema <> '{RAW_SCHEMA}'"
        ).fetchall()
    assert cols, "nothing was built"
    leaks = [c for c in cols if c[2] in PII_COLUMNS]
    assert not leaks
    named = [
        c
        for c in cols
        if re.search(r"phone|email|national_id", c[2]) and not c[2].endswith("_hash")
    ]
    assert not named


def test_no_personal_data_values_outside_raw(built):
    _, db = built
    with connect(db) as con:
        varchar_cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            f"where table_schema <> '{RAW_SCHEMA}' and data_type = 'VARCHAR'"
        ).fetchall()
        hits = []
        for schema, table, column in varchar_cols:
            for label, pattern in PII_PATTERNS.items():
                n = con.execute(
                    f'select count(*) from {schema}."{table}" where regexp_matches("{column}", ?)',
                    [pattern],
                ).fetchone()[0]
                if n:
                    hits.append((schema, table, column, label, n))
        assert not hits
        # Positive control: the same scan does find the personal data in raw.
        for label, table, column in [
            ("mainland mobile", "shop_orders", "receiver_phone"),
            ("national id", "membership_members", "national_id"),
            ("e-mail", "membership_members", "email"),
        ]:
            n = con.execute(
                f"select count(*) from raw.{table} where regexp_matches({column}, ?)",
                [PII_PATTERNS[label]],
            ).fetchone()[0]
            assert n > 0, label


def test_hashes_are_keyed_with_the_environment_key(built):
    _, db = built
    with connect(db) as con:
        got = con.execute(
            "select receiver_phone_hash from staging.stg_shop__orders where order_id = 'o1'"
        ).fetchone()[0]
        member = con.execute(
            "select phone_hash, email_hash, national_id_hash from staging.stg_membership__members "
            "where member_id = 'm1'"
        ).fetchone()
    key = TEST_KEY.encode()
    assert got == keyed_hash(E164, key)
    assert member == (
        keyed_hash(E164, key),
        keyed_hash("alice@example.com", key),
        keyed_hash("11010519491231002X", key),
    )
    assert got != keyed_hash(E164, b"another key")
    # WeChat openids are pseudonyms: trimmed, then keyed-hashed (no other normalisation).
    with connect(db) as con:
        members = con.execute(
            "select user_id, openid_hash from staging.stg_community__group_members order by 1"
        ).fetchall()
        viewers = con.execute("select openid_hash from staging.stg_live__attendance").fetchall()
    assert members == [("u1", keyed_hash("oWECHAT123", key)), ("u2", None)]
    assert viewers == [(keyed_hash("oWECHAT123", key),)]


def test_key_never_written_to_target_logs_or_database(built):
    proj, db = built
    needle = TEST_KEY.encode()
    searched = 0
    for folder in (proj / "target", proj / "logs"):
        for p in folder.rglob("*"):
            if p.is_file():
                searched += 1
                assert needle not in p.read_bytes(), p
    assert searched > 5
    for p in db.parent.glob("warehouse.duckdb*"):  # database and WAL
        assert needle not in p.read_bytes(), p


def test_quarantine_gets_the_bad_rows_without_personal_data(built):
    _, db = built
    with connect(db) as con:
        for source, expected in EXPECTED_QUARANTINE.items():
            cols = [
                d[0]
                for d in con.execute(
                    f"select * from quarantine.quarantine_{source} limit 0"
                ).description
            ]
            assert cols == [
                "entity",
                "_source_file",
                "_line_number",
                "record_key",
                "reason",
                "_loaded_at",
            ]
            got = set(
                con.execute(
                    f"select entity, record_key, reason from quarantine.quarantine_{source}"
                ).fetchall()
            )
            assert got == expected, source
        social = con.execute(
            "select entity, record_key, reason from quarantine.quarantine_social"
        ).fetchall()
    assert [(e, r) for e, _, r in social] == [("tags", "invalid phone")]
    assert "12345" not in social[0][1]


def test_staged_values(built):
    _, db = built
    with connect(db) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        assert q("select event_id from staging.stg_app__events order by 1") == [
            ("e1",),
            ("e2",),
            ("e3",),
            ("e7",),
        ]
        assert set(q("select event_at from staging.stg_app__events")) == {
            (datetime(2026, 6, 18, 12, 15, 3),)
        }
        assert q("select order_id, region_code from staging.stg_shop__orders order by 1") == [
            ("o1", "440000"),
            ("o2", "440000"),
            ("o5", None),
        ]
        # Store-local POS times: Shanghai +8, Urumqi +6; local date kept.
        assert q(
            "select receipt_id, receipted_at, receipt_date_local "
            "from staging.stg_pos__receipts order by 1"
        )[:2] == [
            ("rc1", datetime(2026, 6, 18, 15, 30), datetime(2026, 6, 18).date()),
            ("rc2", datetime(2026, 6, 18, 4, 0), datetime(2026, 6, 18).date()),
        ]
        # The same hour in two spellings is one footfall row; the later line wins.
        assert q(
            "select store_id, sensor_id, hour_start_at, entries "
            "from staging.stg_pos__footfall_counts"
        ) == [("ST001", "s1", datetime(2026, 6, 18, 2, 0), 6)]
        assert q(
            "select member_id, gender, is_gender_imputed, gender_rule "
            "from intermediate.int_members_gender_imputed order by 1"
        ) == [
            ("m1", "F", False, "as_delivered"),
            ("m2", "F", True, "inferred_from_signals"),
            ("m3", "M", False, "as_delivered"),
            ("m6", "M", True, "inferred_from_signals"),
            ("m7", "F", True, "inferred_from_signals"),
            ("m8", None, False, "insufficient_signals"),
        ]


def reconcile(con) -> dict[str, tuple[int, int, int]]:
    out = {}
    for e in ENTITIES:
        raw = con.execute(f"select count(*) from raw.{e.raw_table}").fetchone()[0]
        q = con.execute(
            f"select count(*) from quarantine.quarantine_{e.source} where entity = ?", [e.name]
        ).fetchone()[0]
        out[e.key] = (raw, q)
    return out


def test_reconciliation_and_incremental_idempotence(built):
    proj, db = built
    with connect(db) as con:
        before = reconcile(con)
        assert before["app/events"] == (9, 4)  # 9 raw = 4 staged + 4 quarantined + 1 duplicate
    # The singular reconciliation test ran inside `dbt build` (fixture) and passed.
    create_raw(db, RAW_BATCH_2)
    r = run_dbt(proj, db, "build")
    assert r.returncode == 0, r.stdout[-8000:]
    incremental = ["stg_app__events", "stg_shop__orders", "stg_shop__order_items"]
    with connect(db) as con:
        first = {m: snapshot(con, "staging", m) for m in incremental}
        events = dict(
            con.execute("select event_id, device_id from staging.stg_app__events").fetchall()
        )
        assert events == {"e1": "d1-fixed", "e2": "d2", "e3": "d1", "e7": "d3", "e8": "d2"}
        assert con.execute(
            "select status, _loaded_at from staging.stg_shop__orders where order_id='o1'"
        ).fetchone() == ("cancelled", T2)
        assert con.execute("select count(*) from staging.stg_shop__order_items").fetchone()[0] == 4
    r = run_dbt(proj, db, "build", "--select", *incremental, "assert_staging_reconciles_with_raw")
    assert r.returncode == 0, r.stdout[-8000:]
    assert "PASS=" in r.stdout and "ERROR=0" in r.stdout
    with connect(db) as con:
        assert {m: snapshot(con, "staging", m) for m in incremental} == first


@pytest.mark.parametrize(
    ("damage", "passes"),
    [
        ("", True),  # control: the untouched copy reconciles
        (  # a staged row lost: its raw row is unaccounted and no staged key covers it
            "delete from staging.stg_app__events"
            " where event_id = (select min(event_id) from staging.stg_app__events)",
            False,
        ),
        (  # a quarantined row lost: its raw row is unaccounted and invalid
            "delete from quarantine.quarantine_app where entity = 'events' and _line_number ="
            " (select min(_line_number) from quarantine.quarantine_app where entity = 'events')",
            False,
        ),
        (  # a raw row staged twice
            "insert into staging.stg_app__events"
            " select * from staging.stg_app__events order by event_id limit 1",
            False,
        ),
        (  # a staged row pointing at a raw line that does not exist
            "update staging.stg_app__events set _line_number = _line_number + 1000000"
            " where event_id = (select min(event_id) from staging.stg_app__events)",
            False,
        ),
        (  # a quarantined row pointing at the raw line of a staged row
            "update quarantine.quarantine_app as q set _source_file = s._source_file,"
            " _line_number = s._line_number, _loaded_at = s._loaded_at"
            " from (select * from staging.stg_app__events order by event_id limit 1) as s"
            " where q.rowid = (select min(rowid) from quarantine.quarantine_app"
            "  where entity = 'events')",
            False,
        ),
        (  # a quarantined row pointing at a raw line that does not exist
            "update quarantine.quarantine_app set _line_number = _line_number + 1000000"
            " where rowid = (select min(rowid) from quarantine.quarantine_app"
            "  where entity = 'events')",
            False,
        ),
    ],
    ids=[
        "untouched",
        "staged_row_lost",
        "quarantined_row_lost",
        "row_staged_twice",
        "staged_row_without_raw",
        "quarantined_row_also_staged",
        "quarantined_row_without_raw",
    ],
)
def test_reconciliation_test_catches_lost_and_doubled_rows(built, tmp_path, damage, passes):
    proj, db = built
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(db, copy)
    if damage:
        with duckdb.connect(str(copy)) as con:
            con.execute(damage)
    r = run_dbt(proj, copy, "test", "--select", "assert_staging_reconciles_with_raw")
    assert (r.returncode == 0) is passes, r.stdout[-4000:]


def test_a_copy_reread_in_the_lookback_margin_never_replaces_a_newer_staged_one(tmp_path):
    """Two landing runs within staging_lookback_hours, then a third: the third run re-reads the
    first (margin) but not the second (the newest already staged), so the first run's copy of a
    key must not replace the second run's newer copy; likewise for quarantine, re-read rows are
    not quarantined twice. A full build is the reference."""
    proj = make_project(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    t_a = datetime(2026, 6, 19, 6, 0, 0)
    t_b = datetime(2026, 6, 19, 6, 30, 0)  # within the 1-hour margin of t_a
    t_c = datetime(2026, 6, 20, 6, 0, 0)
    order = {"user_id": "u1", "order_time": "2026-06-18 20:00:00", "items_amount_cny": "90"}
    order["pay_amount_cny"] = "90"
    member = {"member_id": "m1", "card_no": "C1", "register_time": "2025-01-01 10:00:00"}
    batches = [
        {
            "shop/orders": [
                {"order_id": "o1", "status": "paid", **order, **_f("a.csv", t_a)},
                {"order_id": "o9", "status": "??", **order, **_f("a.csv", t_a)},  # quarantined
            ],
            "membership/members": [{"gender": "M", **member, **_f("a.csv", t_a)}],
        },
        {
            "shop/orders": [{"order_id": "o1", "status": "cancelled", **order, **_f("b.csv", t_b)}],
            "membership/members": [{"gender": "F", **member, **_f("b.csv", t_b)}],
        },
        {"shop/orders": [{"order_id": "o2", "status": "paid", **order, **_f("c.csv", t_c)}]},
    ]
    models = ["stg_shop__orders", "stg_membership__members", "quarantine_shop"]

    def state(db: Path) -> tuple:
        with connect(db) as con:
            return (
                con.execute(
                    "select order_id, status, _loaded_at from staging.stg_shop__orders order by 1"
                ).fetchall(),
                con.execute(
                    "select member_id, gender from staging.stg_membership__members"
                ).fetchall(),
                con.execute(
                    "select record_key, reason, _loaded_at from quarantine.quarantine_shop"
                ).fetchall(),
            )

    create_raw(db, {})
    r = run_dbt(proj, db, "seed")
    assert r.returncode == 0, r.stdout[-8000:]
    for batch in batches:
        create_raw(db, batch)
        r = run_dbt(proj, db, "run", "--select", *models)
        assert r.returncode == 0, r.stdout[-8000:]
    incremental = state(db)
    assert incremental[0] == [("o1", "cancelled", t_b), ("o2", "paid", t_c)], incremental
    assert incremental[1] == [("m1", "F")]
    assert len(incremental[2]) == 1
    r = run_dbt(proj, db, "run", "--full-refresh", "--select", *models)
    assert r.returncode == 0, r.stdout[-8000:]
    assert state(db) == incremental


def test_a_quarantine_without_rejects_still_reads_only_rows_landed_since_its_last_run(tmp_path):
    """quarantine_app stays empty when no event is malformed; its rows then cannot say how far it
    has read, so it records that (dbt_state.watermarks). A malformed row slipped in
    behind that mark is not re-read by the next incremental run (which reads only the new landing
    run), while a full build, the reference for what is read, quarantines both."""
    proj = make_project(tmp_path)
    db = tmp_path / "warehouse.duckdb"
    t_old, t_a, t_c = (datetime(2026, 6, d, 6, 0, 0) for d in (10, 19, 20))
    event = {"event_time": "2026-06-18T20:15:03+08:00", "device_id": "d1", "platform": "ios"}

    def app_event(event_id: str, event_type: str, loaded_at: datetime) -> dict:
        return {"event_id": event_id, "event_type": event_type, **event, **_f("e.jsonl", loaded_at)}

    def quarantined() -> list[tuple]:
        with connect(db) as con:
            return con.execute(
                "select record_key, _loaded_at from quarantine.quarantine_app order by 2"
            ).fetchall()

    create_raw(db, {"app/events": [app_event("e1", "view", t_a)]})
    assert run_dbt(proj, db, "seed").returncode == 0
    r = run_dbt(proj, db, "run", "--select", "quarantine_app")
    assert r.returncode == 0, r.stdout[-8000:]
    assert quarantined() == []
    with connect(db) as con:
        marks = con.execute("select * from dbt_state.watermarks").fetchall()
    assert marks == [("quarantine_app", "raw sources", t_a)]

    create_raw(
        db,
        {"app/events": [app_event("e8", "??", t_old), app_event("e9", "??", t_c)]},
    )
    r = run_dbt(proj, db, "run", "--select", "quarantine_app")
    assert r.returncode == 0, r.stdout[-8000:]
    assert [loaded for _, loaded in quarantined()] == [t_c]
    with connect(db) as con:
        marks = con.execute("select * from dbt_state.watermarks").fetchall()
    assert marks == [("quarantine_app", "raw sources", t_c)]

    r = run_dbt(proj, db, "run", "--full-refresh", "--select", "quarantine_app")
    assert r.returncode == 0, r.stdout[-8000:]
    assert [loaded for _, loaded in quarantined()] == [t_old, t_c]
