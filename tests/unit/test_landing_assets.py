"""Landing assets: materialise one source against a temporary warehouse and check metadata."""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.defs.landing import DUCKDB_WRITER_POOL, landing_assets, raw_asset_key
from orchestration.lib.contract import SOURCES, entities_of
from orchestration.lib.settings import load_settings


def test_one_multi_asset_per_source_in_the_writer_pool():
    assert len(landing_assets) == len(SOURCES)
    for source, asset in zip(SOURCES, landing_assets, strict=True):
        assert asset.op.pool == DUCKDB_WRITER_POOL
        assert set(asset.keys) == {raw_asset_key(source, e.name) for e in entities_of(source)}
        for key in asset.keys:
            spec = asset.specs_by_key[key]
            assert spec.group_name == "landing" and "duckdb" in spec.kinds


def test_materialize_shop_landing(isolated_lakehouse_env):
    settings = load_settings()  # LAKEHOUSE_DATA_DIR is a tmp dir (tests/conftest.py)
    orders = settings.inbox_dir / "shop" / "orders"
    orders.mkdir(parents=True)
    header = "order_id,user_id,order_time,status,items_amount_cny,pay_amount_cny"
    body = f"{header}\no1,u1,t,paid,1,1\no2,u2,t,paid,2,2\nbroken\n\n"
    (orders / "a.csv").write_text(body)
    (orders / "copy_of_a.csv").write_text(body)
    (asset,) = [a for a in landing_assets if a.op.name == "land_shop"]

    result = dg.materialize([asset])
    assert result.success
    meta = {
        e.materialization.asset_key: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    got = meta[raw_asset_key("shop", "orders")]
    assert got["files_new"].value == 1
    assert got["files_duplicate"].value == 1
    assert got["lines"].value == 4
    assert got["rows_landed"].value == 2
    assert got["rows_rejected"].value == 2
    assert got["reject_reasons"].value == {
        "blank line": 1,
        "wrong field count: expected 6, got 1": 1,
    }
    assert got["dagster/row_count"].value == 2
    assert meta[raw_asset_key("shop", "payments")]["files_new"].value == 0
    assert settings.warehouse_path.exists()

    # a second run lands nothing new
    again = dg.materialize([asset])
    events = again.get_asset_materialization_events()
    second = {e.materialization.asset_key: e.materialization.metadata for e in events}
    assert second[raw_asset_key("shop", "orders")]["files_new"].value == 0
    assert second[raw_asset_key("shop", "orders")]["dagster/row_count"].value == 2
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM raw.shop_orders").fetchone() == (2,)
