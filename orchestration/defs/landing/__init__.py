"""Landing assets: one multi-asset per inbox source (see assets.py)."""

from .assets import DUCKDB_WRITER_POOL, build_landing_asset, landing_assets, raw_asset_key

__all__ = ["DUCKDB_WRITER_POOL", "build_landing_asset", "landing_assets", "raw_asset_key"]
