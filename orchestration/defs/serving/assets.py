"""Dagster asset that publishes the marts to the BI serving file after the marts are built."""
# No `from __future__ import annotations`: Dagster inspects the context annotation at runtime.

from collections.abc import Sequence

import dagster as dg

from orchestration.lib.audiences import export_audiences
from orchestration.lib.serving import SERVING_DB_NAME, PublishReport, publish_marts
from orchestration.lib.settings import duckdb_config, load_settings

SERVING_ASSET_KEY = dg.AssetKey(["serving", "marts"])
AUDIENCE_EXPORTS_ASSET_KEY = dg.AssetKey(["serving", "audience_exports"])
# Shared with every asset that opens the live warehouse: with a pool limit of 1, dbt never
# writes while the publish holds its read-only connection (which would block the writer).
DUCKDB_WRITER_POOL = "duckdb_writer"
# Resource limits only: the publish needs no TimeZone (setting it requires the icu extension).
RESOURCE_SETTINGS = ("memory_limit", "threads", "temp_directory", "max_temp_directory_size")


def report_metadata(report: PublishReport) -> dict[str, dg.MetadataValue]:
    return {
        "tables": dg.MetadataValue.json(report.tables),
        "row_counts": dg.MetadataValue.json(report.row_counts),
        "total_rows": dg.MetadataValue.int(sum(report.row_counts.values())),
        "path": dg.MetadataValue.path(str(report.serving_path)),
        "parquet_dir": dg.MetadataValue.path(str(report.parquet_dir)),
        "bytes": dg.MetadataValue.int(report.bytes),
        "parquet_bytes": dg.MetadataValue.int(report.parquet_bytes),
        "seconds": dg.MetadataValue.float(report.seconds),
        "publish_id": dg.MetadataValue.text(report.publish_id),
        # started from the previous serving file, writing only what changed (else from scratch)
        "incremental": dg.MetadataValue.bool(report.incremental),
        "changes": dg.MetadataValue.json(report.changes),
        "source_warehouse_mtime": dg.MetadataValue.timestamp(report.source_mtime),
    }


def build_serving_assets(mart_asset_keys: Sequence[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """The serving asset, downstream of ``mart_asset_keys`` (the dbt mart models)."""

    @dg.asset(
        key=SERVING_ASSET_KEY,
        group_name="serving",
        pool=DUCKDB_WRITER_POOL,
        deps=list(mart_asset_keys),
        kinds={"duckdb", "parquet"},
        description=(
            "Marts copied to serving/marts.duckdb (read-only, hardened) and serving/parquet, "
            "replaced atomically. BI opens this, never the live warehouse."
        ),
    )
    def serving_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = load_settings()
        config = {k: v for k, v in duckdb_config(settings).items() if k in RESOURCE_SETTINGS}
        report = publish_marts(settings.warehouse_path, settings.serving_dir, config=config)
        context.log.info(
            f"published {len(report.row_counts)} tables to {report.serving_path} "
            f"in {report.seconds}s"
        )
        return dg.MaterializeResult(metadata=report_metadata(report))

    @dg.asset(
        key=AUDIENCE_EXPORTS_ASSET_KEY,
        group_name="serving",
        # Reads only the serving copy, but runs in the writers' pool all the same: the publish
        # replaces that copy, and one pool for every pipeline step keeps the order simple.
        pool=DUCKDB_WRITER_POOL,
        deps=[SERVING_ASSET_KEY],
        kinds={"parquet", "csv"},
        description=(
            "The latest snapshot of every audience as files for the send tools: "
            "exports/audiences/<audience>/<date>/members.parquet|csv (hashed ids and offer, "
            "treatment members only) + manifest.json. Read from the serving copy."
        ),
    )
    def audience_exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        settings = load_settings()
        report = export_audiences(settings.serving_dir / SERVING_DB_NAME, settings.exports_dir)
        context.log.info(f"exported {len(report.rows)} audiences to {report.root}")
        return dg.MaterializeResult(
            metadata={
                "root": dg.MetadataValue.path(str(report.root)),
                "rows": dg.MetadataValue.json(report.rows),
                "folders": dg.MetadataValue.json(report.folders),
            }
        )

    return [serving_marts, audience_exports]
