"""How dbt resources become Dagster assets.

One asset-key scheme for the whole graph: a dbt source `<source>.<table>` with identifier
`<source>_<table>` is the landing asset `raw/<source>_<table>`, so lineage runs unbroken from the
inbox to the marts. Models are keyed `<schema>/<model>` and grouped by layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dagster import AssetKey, AssetSpec, FreshnessPolicy
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


def _hours(window: Mapping[str, Any] | None) -> timedelta | None:
    if not window or window.get("count") is None:
        return None
    unit = {"minute": 1 / 60, "hour": 1, "day": 24}[window["period"]]
    return timedelta(hours=window["count"] * unit)


def freshness_policy_from(freshness: Mapping[str, Any] | None) -> FreshnessPolicy | None:
    """A dbt-style `{warn_after: {count, period}, error_after: ...}` block as a Dagster policy."""
    if not freshness:
        return None
    fail = _hours(freshness.get("error_after"))
    if fail is None:
        return None
    return FreshnessPolicy.time_window(
        fail_window=fail, warn_window=_hours(freshness.get("warn_after"))
    )


class LakehouseDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "source":
            return AssetKey(["raw", dbt_resource_props["identifier"]])
        schema = dbt_resource_props.get("schema") or "main"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "business_rules"
        fqn = dbt_resource_props.get("fqn") or []
        # fqn = [project, layer, ...]; the layer folder is the group.
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_asset_spec(self, manifest, unique_id, project) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        freshness = (props.get("config") or {}).get("meta", {}).get("freshness") or (
            props.get("meta") or {}
        ).get("freshness")
        policy = freshness_policy_from(freshness)
        if policy is not None:
            spec = spec.replace_attributes(freshness_policy=policy)
        return spec
