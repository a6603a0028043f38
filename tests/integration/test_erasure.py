"""Right to deletion on a small hand-built lakehouse: real landing from an inbox, then
staging/intermediate/marts-like tables with hashes and ids, and a published serving copy."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.contract import entity
from orchestration.lib.erasure import erase, identify, verify
from orchestration.lib.erasure.__main__ import main as cli_main
from orchestration.lib.erasure.terms import PersonTerms
from orchestration.lib.landing import land_inbox
from orchestration.lib.privacy.hashing import keyed_hash
from orchestration.lib.serving import publish_marts
from orchestration.lib.settings import Settings, load_settings

pytestmark = pytest.mark.timeout(120)

ALICE_PHONE = "+86 138 1234 5678"  # the person to erase
ALICE_DIGITS = "13812345678"
ALICE_EMAIL = "Alice@Example.com"
ALICE_HASH = keyed_hash("+8613812345678", b"test-pii-key-7f3a9c1e5b2d4f60a8e1")
BOB_HASH = keyed_hash("+8613900001111", b"test-pii-key-7f3a9c1e5b2d4f60a8e1")
ALICE_IDS = ("U00000001", "D00000001", "D00000009", "M000000001", "8100000001", "CUST_A")
BOB_IDS = ("U00000002", "D00000002", "M000000002", "8100000002", "CUST_B")


def _csv(source: str, name: str, *rows: tuple[str, ...]) -> str:
    return "".join(",".join(r) + "\n" for r in (entity(source, name).columns, *rows))


MEMBERS = _csv(
    "membership",
    "members",
    (
        "M000000001",
        "8100000001",
        "U00000001",
        "138-1234-5678",
        " ALICE@example.com ",
        "110101199001011234",
        "F",
        "1990-01-01",
        "2025-01-01 10:00:00",
        "app",
        "",
        "440000",
    ),
    (
        "M000000002",
        "8100000002",
        "U00000002",
        "13900001111",
        "bob@example.com",
        "",
        "M",
        "1985-02-02",
        "2025-01-02 10:00:00",
        "app",
        "",
        "110000",
    ),
)
_ORDER = ("2025-02-01 10:00:00", "paid", "app", "ios", "440000")
ORDERS = _csv(
    "shop",
    "orders",
    (
        "O0000001",
        "U00000001",
        "D00000001",
        *_ORDER,
        "+86 138 1234 5678",
        "100",
        "0",
        "0",
        "0",
        "100",
    ),
    ("O0000002", "U00000002", "D00000002", *_ORDER, "13900001111", "50", "0", "0", "0", "50"),
    # Bob's gift to Alice: her phone as receiver
    (
        "O0000003",
        "U00000002",
        "D00000002",
        *_ORDER,
        "0086 (138) 1234-5678",
        "80",
        "0",
        "0",
        "0",
        "80",
    ),
)
ITEMS = """order_id,line_no,sku,category,brand,quantity,unit_price_cny,discount_cny
O0000001,1,SKU1,shoes,b,1,100,0
O0000002,1,SKU2,shoes,b,1,50,0
O0000003,1,SKU3,gifts,b,1,80,0
"""
EVENTS = [
    {
        "event_id": "E1",
        "event_type": "view",
        "event_time": "2025-02-01T10:00:00Z",
        "user_id": "U00000001",
        "device_id": "D00000001",
    },
    {
        "event_id": "E2",
        "event_type": "view",
        "event_time": "2025-02-01T10:00:00Z",
        "device_id": "D00000009",
    },  # anonymous, on a device only identity resolution links
    {
        "event_id": "E3",
        "event_type": "pay",
        "event_time": "2025-02-01T10:00:00Z",
        "user_id": "U00000002",
        "device_id": "D00000002",
        "order_id": "O0000002",
    },
]
TAGS = [
    {
        "platform": "wechat",
        "phone": "8613812345678",
        "tag": "running",
        "observed_time": "2025-02-01 10:00:00",
    },
    {
        "platform": "wechat",
        "phone": "139 0000 1111",
        "tag": "gadgets",
        "observed_time": "2025-02-01 10:00:00",
    },
]


def _write_inbox(inbox: Path) -> None:
    def put(rel: str, data: bytes) -> None:
        path = inbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    put("membership/members/members_1.csv", MEMBERS.encode())
    put("membership/members/members_copy.csv", MEMBERS.encode())  # re-delivery, same content
    put("shop/orders/orders_1.csv.gz", gzip.compress(ORDERS.encode()))
    put("shop/order_items/items_1.csv", ITEMS.encode())
    events = [json.dumps(e) for e in EVENTS]
    events.insert(1, '{"event_id": "E9", "search_query": "call 138 1234 5678"')  # rejected
    put("app/events/events_1.jsonl", ("\n".join(events) + "\n").encode())
    put("social/tags/tags_1.jsonl", "".join(json.dumps(t) + "\n" for t in TAGS).encode())


MODELS = f"""
create schema staging; create schema intermediate; create schema marts;
create schema quarantine; create schema snapshots;
create table staging.stg_membership__members as
  select member_id, card_no, user_id,
         pii_hash('+86' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 11)) as phone_hash,
         pii_hash(lower(trim(email))) as email_hash, _source_file, _line_number
  from raw.membership_members;
create table staging.stg_shop__orders as
  select order_id, user_id, device_id,
         pii_hash('+86' || right(regexp_replace(receiver_phone, '[^0-9]', '', 'g'), 11))
           as receiver_phone_hash, _source_file, _line_number
  from raw.shop_orders;
create table staging.stg_shop__order_items as
  select order_id || '-' || line_no as order_item_id, order_id, sku, _source_file, _line_number
  from raw.shop_order_items;
create table staging.stg_app__events as
  select event_id, user_id, device_id, order_id, _source_file, _line_number from raw.app_events;
create table staging.stg_social__tags as
  select pii_hash('+86' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 11)) as phone_hash,
         tag from raw.social_tags;
-- quarantined copy of Alice's event E1 under a key that names nobody: found by lineage only
create table quarantine.quarantine_app as
  select 'events' as entity, _source_file, _line_number, 'rk-' || event_id as record_key,
         'test' as reason from raw.app_events where event_id = 'E1';
create table intermediate.int_identifiers_resolved as
  select * from (values
    ('user_id', 'U00000001', 'CUST_A'), ('device_id', 'D00000001', 'CUST_A'),
    ('device_id', 'D00000009', 'CUST_A'), ('member_id', 'M000000001', 'CUST_A'),
    ('card_no', '8100000001', 'CUST_A'), ('phone_hash', '{ALICE_HASH}', 'CUST_A'),
    ('user_id', 'U00000002', 'CUST_B'), ('device_id', 'D00000002', 'CUST_B'),
    ('member_id', 'M000000002', 'CUST_B'), ('card_no', '8100000002', 'CUST_B'),
    ('phone_hash', '{BOB_HASH}', 'CUST_B')
  ) t(id_type, id_value, customer_id);
create table intermediate.int_identity_mapping_history as
  select id_type || ':' || id_value as identifier_key, customer_id,
         case when customer_id = 'CUST_A' then 'CUST_OLD_A' end as previous_customer_id
  from intermediate.int_identifiers_resolved;
create table marts.identity_change_log as
  select 'chg-1' as change_id, 'merge' as change_type, 'CUST_A' as customer_id,
         'CUST_OLD_A' as previous_customer_id
  union all select 'chg-2', 'new', 'CUST_B', null;
create table marts.dim_customers as
  select * from (values ('CUST_A', 'M000000001', 1), ('CUST_B', 'M000000002', 2))
  t(customer_id, member_id, order_count);
create table marts.fct_orders as
  select o.order_id, r.customer_id from staging.stg_shop__orders o
  join intermediate.int_identifiers_resolved r on r.id_type = 'user_id' and r.id_value = o.user_id;
create table marts.segment_sizes as select 'champions' as segment, 2 as customers;
create table snapshots.dim_customers_snapshot as
  select *, timestamp '2025-01-01' as dbt_valid_from from marts.dim_customers;
"""


def _count_all(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_catalog = current_database()"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]
            for s, t in names
        }


@pytest.fixture
def lakehouse() -> Settings:
    from orchestration.lib.privacy.duckdb_plugin import register_pii_hash

    settings = load_settings()
    _write_inbox(settings.inbox_dir)
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        land_inbox(con, settings.inbox_dir)
        register_pii_hash(con)
        con.execute(MODELS)
    publish_marts(settings.warehouse_path, settings.serving_dir)
    return settings


def test_identify_expands_to_cluster_history_and_orders(lakehouse: Settings) -> None:
    with duckdb.connect(str(lakehouse.warehouse_path)) as con:
        terms = identify(con, [ALICE_PHONE], [ALICE_EMAIL])
    ids = terms.id_values()
    assert set(ALICE_IDS) | {"CUST_OLD_A", "O0000001", "O0000003"} <= ids
    assert not ids & set(BOB_IDS)  # the gift giver (Bob) is not expanded
    assert ALICE_HASH in terms.hashes and BOB_HASH not in terms.hashes
    assert "110101199001011234" in terms.ids["national_id"]
    # A request that names the account finds the same person without phone or e-mail.
    with duckdb.connect(str(lakehouse.warehouse_path)) as con:
        by_id = identify(con, [], [], ids=[("user_id", "U00000001")])
    assert set(ALICE_IDS) <= by_id.id_values() and ALICE_HASH in by_id.hashes


def test_erase_removes_person_everywhere_and_keeps_others(lakehouse: Settings) -> None:
    before = _count_all(lakehouse.warehouse_path)
    parquet_inodes = {
        p.stat().st_ino for p in (lakehouse.serving_dir / "parquet").rglob("*.parquet")
    }
    report = erase([ALICE_PHONE], [ALICE_EMAIL])
    assert report.ok, report.describe()
    after = _count_all(lakehouse.warehouse_path)

    expected_drop = {
        "raw.membership_members": 1,
        "raw.shop_orders": 2,  # Alice's order and Bob's gift to her (receiver phone)
        "raw.shop_order_items": 2,
        "raw.app_events": 2,  # E1 (user) and E2 (device from identity resolution)
        "raw.social_tags": 1,
        "raw._rejects": 1,  # the malformed line mentioning her phone
        "staging.stg_membership__members": 1,
        "staging.stg_shop__orders": 2,
        "staging.stg_shop__order_items": 2,
        "staging.stg_app__events": 2,
        "staging.stg_social__tags": 1,
        "quarantine.quarantine_app": 1,  # lineage only
        "intermediate.int_identifiers_resolved": 6,
        "intermediate.int_identity_mapping_history": 6,
        "marts.identity_change_log": 1,
        "marts.dim_customers": 1,
        "marts.fct_orders": 2,
        "snapshots.dim_customers_snapshot": 1,
    }
    assert report.rows == expected_drop
    # New contents of the 6 rewritten files (the two member files now share one content).
    added = {"raw._file_ledger": 5, "raw._file_deliveries": 6}
    for table, n in before.items():
        assert after[table] == n - expected_drop.get(table, 0) + added.get(table, 0), table
    assert after["raw._erasure_log"] == 1

    # Bob is intact (apart from the gift order he sent to Alice).
    with duckdb.connect(str(lakehouse.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.shop_orders where user_id = 'U00000002'")
        assert con.execute(
            "select order_id from staging.stg_shop__orders order by 1"
        ).fetchall() == [("O0000002",)]
        assert con.execute("select customer_id from marts.dim_customers").fetchall() == [
            ("CUST_B",)
        ]
        log = con.execute("select * from raw._erasure_log").fetchall()
    text = repr(log)
    for needle in (ALICE_DIGITS, ALICE_HASH, "alice", *ALICE_IDS, "O0000001"):
        assert needle.lower() not in text.lower()

    # Serving copy and Parquet were republished without her.
    with duckdb.connect(str(lakehouse.serving_dir / "marts.duckdb"), read_only=True) as con:
        assert con.execute("select customer_id from dim_customers").fetchall() == [("CUST_B",)]
    assert len(list(lakehouse.serving_dir.glob(".parquet-*"))) == 1  # old version dropped
    # From scratch: no Parquet file is a hard link kept from the set published before erasure.
    assert not parquet_inodes & {
        p.stat().st_ino for p in (lakehouse.serving_dir / "parquet").rglob("*.parquet")
    }

    # Inbox: her lines are gone, headers and everybody else's lines byte for byte.
    inbox = lakehouse.inbox_dir
    assert (inbox / "membership/members/members_1.csv").read_text() == "".join(
        MEMBERS.splitlines(keepends=True)[i] for i in (0, 2)
    )
    assert (inbox / "membership/members/members_copy.csv").read_bytes() == (
        inbox / "membership/members/members_1.csv"
    ).read_bytes()
    orders = gzip.decompress((inbox / "shop/orders/orders_1.csv.gz").read_bytes()).decode()
    assert orders.splitlines() == [ORDERS.splitlines()[0], ORDERS.splitlines()[2]]
    assert len(report.files_rewritten) == 6

    # The byte-level check itself: nothing in the files, and a fresh landing re-lands nothing.
    v = report.verification
    assert v is not None and v.ok and v.files_scanned >= 7
    with duckdb.connect(str(lakehouse.warehouse_path)) as con:
        reports = land_inbox(con, inbox)
    assert all(
        er.files_new == 0 and er.rows_landed == 0
        for r in reports.values()
        for er in r.entities.values()
    )
    assert _count_all(lakehouse.warehouse_path) == after


def test_dry_run_changes_nothing(lakehouse: Settings, capsys) -> None:
    before = _count_all(lakehouse.warehouse_path)
    inbox_before = {p: p.read_bytes() for p in lakehouse.inbox_dir.rglob("*") if p.is_file()}
    assert cli_main(["--phone", "0086 138-1234-5678", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "DRY RUN" in out and "raw.shop_orders: 2" in out
    assert ALICE_DIGITS not in out and ALICE_HASH not in out and "U00000001" not in out
    assert _count_all(lakehouse.warehouse_path) == before
    assert {p: p.read_bytes() for p in inbox_before} == inbox_before


def test_verify_finds_a_person_who_is_still_there(lakehouse: Settings) -> None:
    with duckdb.connect(str(lakehouse.warehouse_path)) as con:
        terms = identify(con, [ALICE_PHONE], [])
    v = verify(lakehouse, terms)
    assert not v.ok
    assert "warehouse:raw.shop_orders" in v.table_hits
    assert "serving:main.dim_customers" in v.table_hits
    assert any(k.endswith("members_1.csv") for k in v.byte_hits)
    assert "phone" in v.byte_hits[str(lakehouse.inbox_dir / "shop/orders/orders_1.csv.gz")]


def test_cli_exit_codes(lakehouse: Settings) -> None:
    assert cli_main(["--phone", "12345"]) == 2  # not a mobile number
    assert cli_main(["--phone", ALICE_PHONE]) == 0
    assert cli_main(["--phone", ALICE_PHONE]) == 0  # idempotent: nothing left, still verified


def test_terms_match_every_phone_spelling() -> None:
    terms = PersonTerms(phones=(ALICE_DIGITS,), emails=())
    pattern = terms.line_pattern()
    for spelling in (
        "+86 138 1234 5678",
        "0086-13812345678",
        "(138) 1234-5678",
        "8613812345678",
        '"phone":"13812345678"',
    ):
        assert pattern.search(spelling.encode()), spelling
    for other in ("213812345678", "138123456789", "1381234567"):
        assert not pattern.search(other.encode()), other
