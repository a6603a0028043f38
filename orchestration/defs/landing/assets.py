"""One Dagster multi-asset per inbox source: lands new files into raw.<source>_<entity>.

All writers of the DuckDB warehouse share the concurrency pool ``duckdb_writer`` (limit 1), so
landing never races dbt or another landing run for the single-writer database file.
"""

from collections.abc import Iterator

import dagster as dg

from orchestration.lib.contract import RAW_SCHEMA, SOURCES, entities_of
from orchestration.lib.landing import LandingReport, land_source
from orchestration.lib.settings import connect_warehouse, load_settings

DUCKDB_WRITER_POOL = "duckdb_writer"
LANDING_GROUP = "landing"


def raw_asset_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_SCHEMA, f"{source}_{entity}"])


def _results(report: LandingReport) -> Iterator[dg.MaterializeResult]:
    for name, er in report.entities.items():
        yield dg.MaterializeResult(
            asset_key=raw_asset_key(report.source, name),
            metadata={
                "files_new": er.files_new,
                "files_duplicate": er.files_duplicate,
                "files_rejected": er.files_rejected,
                "files_error": er.files_error,
                "lines": er.lines,
                "rows_landed": er.rows_landed,
                "rows_rejected": er.rows_rejected,
                "reject_reasons": dg.MetadataValue.json(dict(sorted(er.reasons.items()))),
                "dagster/row_count": er.table_rows,
            },
        )


def build_landing_asset(source: str) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=raw_asset_key(source, e.name),
            group_name=LANDING_GROUP,
            kinds={"duckdb"},
            description=f"Raw `{e.key}` rows as delivered ({e.format}), one row per landed line.",
        )
        for e in entities_of(source)
    ]

    @dg.multi_asset(name=f"land_{source}", specs=specs, pool=DUCKDB_WRITER_POOL)
    def _land(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        settings = load_settings()
        conn = connect_warehouse(settings)
        try:
            report = land_source(conn, settings.inbox_dir, source)
        finally:
            conn.close()
        for path in report.ignored:
            context.log.warning(f"ignored (not <source>/<entity>/*.csv|jsonl[.gz]): {path}")
        for fr in report.files:
            if fr.status in ("rejected", "error"):
                context.log.warning(f"{fr.path}: {fr.status}: {fr.error}")
        yield from _results(report)
        if report.errors:  # unledgered files are retried next run; fail so someone looks
            raise dg.Failure(
                f"{len(report.errors)} file(s) failed to land: "
                + "; ".join(f"{f.path}: {f.error}" for f in report.errors[:5])
            )

    return _land


landing_assets: list[dg.AssetsDefinition] = [build_landing_asset(s) for s in SOURCES]
