"""Serving assets: call ``build_serving_assets(mart_asset_keys)`` when assembling Definitions."""

from orchestration.defs.serving.assets import SERVING_ASSET_KEY, build_serving_assets

__all__ = ["SERVING_ASSET_KEY", "build_serving_assets"]
