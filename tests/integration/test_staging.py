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
    shutil.copytree(PROJECT_ROOT / "profiles", tmp / "profiles",
                    ignore=shutil.ignore_patterns(".user.yml"))
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
            rec = {"_source_file": f"{key}/f1.csv", "_file_sha256": "0" * 64,
                   "_line_number": i, "_loaded_at": T1, **rec}
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
    cmd = [DBT, *args, "--project-dir", str(proj), "--profiles-dir", str(proj.parent / "profiles"),
           "--log-path", str(proj / "logs"), "--target-path", str(proj / "target")]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=proj.parent, timeout=600)


def _f(name: str, loaded_at: datetime = T1):
    return {"_source_file": name, "_loaded_at": loaded_at}


# Hand-made raw rows. Comments say what each row is for; "Q:" = expected quarantine reason.
RAW_BATCH_1: dict[str, list[dict]] = {
    "app/events": [
        {"event_id": "e1", "event_type": "view", "event_time": "2026-06-18T20:15:03+08:00",
         "device_id": "d1", "platform": "ios", "price_cny": "12.50", "quantity": "1"},
        {"event_id": "e1", "event_type": "view", "event_time": "2026-06-18T20:15:03+08:00",
         "device_id": "d1", "platform": "ios", "price_cny": "12.50", "quantity": "1"},  # exact dup
        {"event_id": "e2", "event_type": "search", "event_time": "2026-06-18 20:15:03",
         "device_id": "d2", "search_query": "razor"},
        {"event_id": "e3", "event_type": "pay", "event_time": "1781784903000", "device_id": "d1",
         "order_id": "o1", "user_id": "u1"},
        {"event_id": "e4", "event_type": "view", "event_time": "yesterday", "device_id": "d1"},  # Q
        {"event_id": "e5", "event_type": "teleport", "event_time": "2026-06-18T12:15:03Z",
         "device_id": "d1"},  # Q unknown event_type
        {"event_id": " ", "event_type": "view", "event_time": "2026-06-18T12:15:03Z",
         "device_id": "d1"},  # Q missing event_id
        {"event_id": "e6", "event_type": "view", "event_time": "2026-06-18T12:15:03Z",
         "device_id": "d1", "price_cny": "-1"},  # Q negative
        {"event_id": "e7", "event_type": "VIEW", "event_time": "2026-06-18T12:15:03Z",
         "device_id": "d3", "platform": "IOS"},
    ],
    "shop/orders": [
        {"order_id": "o1", "user_id": "u1", "order_time": "2026-06-18 20:00:00", "status": "paid",
         "region": "广东省", "receiver_phone": PHONE, "items_amount_cny": "100",
         "discount_cny": "10", "pay_amount_cny": "90"},
        {"order_id": "o2", "user_id": "u2", "order_time": "2026-06-18T12:00:00Z",
         "status": "paid", "region": "440300", "receiver_phone": "0086-13912345678",
         "items_amount_cny": "50", "pay_amount_cny": "50"},
        {"order_id": "o3", "user_id": "u3", "order_time": "2026-06-18T12:00:00Z",
         "status": "paid", "receiver_phone": "010-12345678", "items_amount_cny": "5",
         "pay_amount_cny": "5"},  # Q invalid receiver_phone (landline)
        {"order_id": "o4", "user_id": "u4", "order_time": "2026-06-18T12:00:00Z",
         "status": "paid", "region": "Guangdong", "items_amount_cny": "5",
         "pay_amount_cny": "-5"},  # Q negative
        {"order_id": "o5", "user_id": "u5", "order_time": "2026-06-18T12:00:00Z",
         "status": "cancelled", "region": "Atlantis", "items_amount_cny": "5",
         "pay_amount_cny": "5"},  # kept, region_code NULL
    ],
    "shop/order_items": [
        {"order_id": "o1", "line_no": "1", "sku": "s-r", "category": "razors", "quantity": "1",
         "unit_price_cny": "60", "discount_cny": "6"},
        {"order_id": "o1", "line_no": "2", "sku": "s-c", "category": "electronics",
         "quantity": "1", "unit_price_cny": "40", "discount_cny": "4"},
        {"order_id": "o2", "line_no": "1", "sku": "s-p", "category": "sanitary_pads",
         "quantity": "2", "unit_price_cny": "25"},
        {"order_id": "o2", "line_no": "2", "sku": "s-k", "category": "cosmetics",
         "quantity": "x", "unit_price_cny": "25"},  # Q unparseable quantity
    ],
    "shop/payments": [
        {"payment_id": "p1", "order_id": "o1", "paid_time": "2026-06-18 20:01:00",
         "method": "alipay", "amount_cny": "90", "status": "success"},
        {"payment_id": "p2", "order_id": "o2", "amount_cny": "50"},  # Q missing paid_time
    ],
    "shop/refunds": [
        {"refund_id": "r1", "order_id": "o1", "refund_type": "refund", "amount_cny": "10",
         "requested_time": "2026-06-19 09:00:00"},
        {"refund_id": "r2", "order_id": "o1", "amount_cny": "abc",
         "requested_time": "2026-06-19 09:00:00"},  # Q unparseable amount
    ],
    "membership/members": [
        {"member_id": "m1", "card_no": "C1", "user_id": "u1", "phone": PHONE,
         "email": " Alice@Example.COM ", "national_id": "11010519491231002x", "gender": "女",
         "birth_date": "1990-01-02", "register_time": "2025-01-01 10:00:00", "region": "广东"},
        {"member_id": "m2", "card_no": "C2", "user_id": "u2", "gender": "",
         "register_time": "2025-01-01 10:00:00", "region": "shanghai"},  # imputed F (pads)
        {"member_id": "m3", "card_no": "C3", "gender": "male",
         "register_time": "2025-01-01 10:00:00"},
        {"member_id": "m4", "card_no": "C4", "gender": "X",
         "register_time": "2025-01-01 10:00:00"},  # Q unknown gender
        {"member_id": "m5", "card_no": "C5", "email": "not-an-email",
         "register_time": "2025-01-01 10:00:00"},  # Q invalid email
        {"member_id": "m6", "card_no": "C6", "register_time": "2025-01-01 10:00:00"},  # M (razors)
        {"member_id": "m7", "card_no": "C7", "phone": "137-0000-1111",
         "register_time": "2025-01-01 10:00:00"},  # imputed F (mothers group)
        {"member_id": "m8", "card_no": "C8", "user_id": "u1",
         "register_time": "2025-01-01 10:00:00"},  # razors + electronics: 1 M signal only
    ],
    "membership/points_ledger": [
        {"entry_id": "pl1", "member_id": "m1", "points": "90", "reason": "purchase",
         "occurred_time": "2026-06-18 20:02:00", "order_id": "o1"},
        {"entry_id": "pl2", "member_id": "m1", "occurred_time": "2026-06-18 20:02:00"},  # Q
    ],
    "membership/level_changes": [
        {"change_id": "lc1", "member_id": "m1", "from_level": "silver", "to_level": "gold",
         "changed_time": "2026-06-18 20:03:00"},
    ],
    "pos/receipts": [
        {"receipt_id": "rc1", "store_id": "ST001", "receipt_time": "2026-06-18 23:30:00",
         "member_card_no": "C6", "phone": "13812345678", "total_cny": "120"},
        {"receipt_id": "rc2", "store_id": "ST900", "receipt_time": "2026-06-18 10:00:00",
         "total_cny": "20"},
        {"receipt_id": "rc3", "store_id": "ST999", "receipt_time": "2026-06-18 10:00:00",
         "total_cny": "20"},  # Q unknown store
    ],
    "pos/receipt_lines": [
        {"receipt_id": "rc1", "line_no": "1", "sku": "s-r", "category": "razors",
         "quantity": "1", "unit_price_cny": "60"},
        {"receipt_id": "rc1", "line_no": "2", "sku": "s-r2", "category": "razors",
         "quantity": "1", "unit_price_cny": "60"},
    ],
    "pos/footfall": [
        {"store_id": "ST001", "sensor_id": "s1", "hour_start": "2026-06-18 10:00:00",
         "entries": "5", "exits": "4"},
        {"store_id": "ST001", "sensor_id": "s1", "hour_start": "2026-06-18T02:00:00Z",
         "entries": "6", "exits": "4"},  # same hour, other spelling: logical dup (later line wins)
        {"store_id": "ST001", "sensor_id": "s2", "hour_start": "2026-06-18 10:00:00",
         "entries": "-1"},  # Q negative
    ],
    "pos/assistant_interactions": [
        {"interaction_id": "ai1", "store_id": "ST001", "assistant_id": "a1",
         "interaction_time": "2026-06-18 11:00:00", "phone": "+86 (139) 1234-5678",
         "interaction_type": "trial", "duration_s": "120"},
    ],
    "logistics/shipments": [
        {"shipment_id": "sh1", "order_id": "o1", "carrier": "sf", "region": "Shanghai",
         "receiver_phone": PHONE, "promised_time": "2026-06-20 18:00:00",
         "delivered_time": "2026-06-21 09:00:00", "preferred_slot": "weekend"},
    ],
    "social/tags": [
        {"platform": "wechat", "phone": "137 0000 1111", "tag": "mothers_group_active",
         "confidence": "0.9", "observed_time": "2026-06-01 10:00:00"},
        {"platform": "wechat", "phone": "+8613700001111", "tag": "mothers_group_active",
         "confidence": "0.8", "observed_time": "2026-05-01 10:00:00"},  # older: dup
        {"platform": "wechat", "phone": "12345", "tag": "student",
         "observed_time": "2026-06-01 10:00:00"},  # Q invalid phone
    ],
    "dmp/segments": [
        {"device_id": "d1", "segment_code": "new_parent", "score": "0.7",
         "valid_from": "2026-06-01", "valid_to": "2026-07-01"},
        {"device_id": "d1", "segment_code": "premium_beauty", "valid_from": "soon"},  # Q
    ],
}
