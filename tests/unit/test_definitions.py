"""The code location loads, and holds the assets, checks, jobs and schedules we expect."""

from __future__ import annotations

from dagster import AssetCheckKey, AssetKey

from orchestration.lib.contract import ENTITIES


def test_definitions_load_with_connected_lineage():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    asset_graph = repo.asset_graph
    keys = set(asset_graph.get_all_asset_keys())

    raw_keys = {AssetKey(["raw", e.raw_table]) for e in ENTITIES}
    assert raw_keys <= keys, raw_keys - keys
    # Every landing asset feeds at least one staging model: the graph is connected.
    for raw_key in raw_keys:
        children = asset_graph.get(raw_key).child_keys
        assert any(c.path[0] == "staging" for c in children), raw_key

    assert any(k.path[0] == "marts" for k in keys)
    assert AssetKey(["serving", "marts"]) in keys
    assert len(list(asset_graph.asset_check_keys)) > 50  # dbt tests surface as checks
    kpi_anomalies = AssetKey(["marts", "kpi_anomalies"])
    assert kpi_anomalies in keys
    assert AssetCheckKey(kpi_anomalies, "no_recent_kpi_anomalies") in asset_graph.asset_check_keys

    assert repo.has_job("materialize_everything")
    assert {s.name for s in repo.schedule_defs} >= {"daily_refresh"}


def test_every_warehouse_writer_shares_the_duckdb_pool():
    from orchestration.definitions import defs

    for assets_def in defs.get_repository_def().assets_defs_by_key.values():
        if not assets_def.is_executable:
            continue
        node = assets_def.node_def
        pool = getattr(node, "pool", None)
        assert pool == "duckdb_writer", (assets_def.keys, pool)


def test_landing_assets_carry_source_freshness_policies():
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    for e in ENTITIES:
        node = graph.get(AssetKey(["raw", e.raw_table]))
        assert node.freshness_policy is not None, e.raw_table


def test_marts_carry_freshness_policies_from_dbt_config():
    from orchestration.definitions import defs

    graph = defs.get_repository_def().asset_graph
    marts = [k for k in graph.get_all_asset_keys() if k.path[0] == "marts"]
    assert marts
    missing = [k for k in marts if graph.get(k).freshness_policy is None]
    assert missing == []
