"""End to end on a small generated dataset: inbox -> raw -> staging -> marts -> serving.

One build per module (it takes a minute); each test then checks one promise of the product:
counts reconcile from file to table, a re-run adds nothing, a corrupted and a re-delivered file
are handled, no personal data or key leaks out of the raw layer.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import TEST_PII_KEY, materialize_everything, table_counts


@pytest.fixture(scope="module")
def built(pipeline_build, tmp_path_factory):
    """The shared build, copied so this module may drop files into its inbox."""
    data_dir = tmp_path_factory.mktemp("e2e")
    shutil.copytree(pipeline_build["data_dir"], data_dir, dirs_exist_ok=True)
    return {
        **pipeline_build,
        "data_dir": data_dir,
        "inbox": data_dir / "inbox",
        "warehouse": data_dir / "warehouse" / "lakehouse.duckdb",
    }


def test_pipeline_materialises_everything(built):
    assert built["first"].success
    counts = built["counts_first"]
    assert counts["raw.app_events"] > 0
    assert counts["staging.stg_shop__orders"] > 0
    assert any(k.startswith("marts.") and n > 0 for k, n in counts.items())
    serving = built["data_dir"] / "serving" / "marts.duckdb"
    assert serving.exists()


def test_second_run_duplicates_nothing(built):
    assert built["second"].success
    first, second = built["counts_first"], built["counts_second"]
    changed = {
        k: (first.get(k), n)
        for k, n in second.items()
        if first.get(k) != n and not k.startswith("raw._file_deliveries")
    }
    assert not changed, changed


def test_every_line_of_every_file_is_accounted_for(built):
    conn = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        bad = conn.execute(
            "select path, lines, rows_landed, rows_rejected from raw._file_ledger "
            "where lines <> rows_landed + rows_rejected"
        ).fetchall()
        assert bad == []
        landed = dict(
            conn.execute(
                "select source || '_' || entity, sum(rows_landed) from raw._file_ledger group by 1"
            ).fetchall()
        )
        from orchestration.lib.contract import ENTITIES

        for e in ENTITIES:
            n = conn.execute(f"select count(*) from raw.{e.raw_table}").fetchone()[0]
            assert n == landed.get(e.raw_table, 0), e
    finally:
        conn.close()


def test_corrupted_and_redelivered_files(built):
    inbox, warehouse = built["inbox"], built["warehouse"]
    orders_dir = inbox / "shop" / "orders"
    original = sorted(orders_dir.glob("*.csv"))[0]
    shutil.copy(original, orders_dir / "orders_redelivered_copy.csv")
    header = original.read_text(encoding="utf-8").splitlines()[0]
    (orders_dir / "orders_corrupted.csv").write_bytes(
        (header + "\n").encode() + b"\xff\xfe garbage,,\n" + b"only,three,fields\n"
    )
    before = table_counts(warehouse)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEHOUSE_DATA_DIR", str(built["data_dir"]))
        result = materialize_everything()
    assert result.success
    after = table_counts(warehouse)
    assert after["raw.shop_orders"] == before["raw.shop_orders"]
    assert after["raw._rejects"] == before["raw._rejects"] + 2
    conn = duckdb.connect(str(warehouse), read_only=True)
    try:
        statuses = dict(
            conn.execute(
                "select regexp_extract(path, '[^/]+$'), status from raw._file_deliveries "
                "where path like '%orders_redelivered_copy.csv' "
                "or path like '%orders_corrupted.csv'"
            ).fetchall()
        )
    finally:
        conn.close()
    assert statuses["orders_redelivered_copy.csv"] == "duplicate"
    assert statuses["orders_corrupted.csv"] == "landed"


PHONE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])")
NATIONAL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def test_no_personal_data_outside_raw(built):
    conn = duckdb.connect(str(built["warehouse"]), read_only=True)
    try:
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema not in ('raw', 'information_schema', 'pg_catalog') "
            "and data_type = 'VARCHAR'"
        ).fetchall()
        assert columns
        hits = []
        for schema, table, column in columns:
            values = conn.execute(
                f'select distinct "{column}" from "{schema}"."{table}" '
                f'where "{column}" is not null limit 20000'
            ).fetchall()
            for (value,) in values:
                if PHONE.search(value) or NATIONAL_ID.search(value) or EMAIL.search(value):
                    hits.append((schema, table, column, value[:40]))
                    break
        assert hits == []
    finally:
        conn.close()


def test_key_never_written_to_disk(built):
    needle = TEST_PII_KEY.encode()
    roots = [built["data_dir"], Path(__file__).resolve().parents[2] / "dbt_project"]
    leaks = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and path.stat().st_size < 2_000_000_000:
                with open(path, "rb") as fh:
                    if needle in fh.read():
                        leaks.append(str(path))
    assert leaks == []
