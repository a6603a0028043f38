"""Source freshness: the `freshness` blocks declared on dbt sources (with `loaded_at_field`)
become Dagster freshness policies on the landing assets that feed them, so a stale feed shows in
the UI on the asset that is stale."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, AssetsDefinition

from orchestration.defs.transform.dbt_assets import dbt_project
from orchestration.defs.transform.translator import freshness_policy_from


def source_freshness_policies() -> dict[AssetKey, object]:
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    policies = {}
    for source in manifest.get("sources", {}).values():
        policy = freshness_policy_from(source.get("freshness"))
        if policy is not None:
            policies[AssetKey(["raw", source["identifier"]])] = policy
    return policies


def with_source_freshness(assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    policies = source_freshness_policies()

    def attach(spec):
        policy = policies.get(spec.key)
        return spec if policy is None else spec.replace_attributes(freshness_policy=policy)

    return [a.map_asset_specs(attach) for a in assets]
