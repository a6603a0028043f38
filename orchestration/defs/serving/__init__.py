"""Serving assets: call ``build_serving_assets(mart_asset_keys)`` when assembling Definitions."""

from orchestration.defs.serving.assets import (
    AUDIENCE_EXPORTS_ASSET_KEY,
    SERVING_ASSET_KEY,
    build_serving_assets,
)

__all__ = ["AUDIENCE_EXPORTS_ASSET_KEY", "SERVING_ASSET_KEY", "build_serving_assets"]
