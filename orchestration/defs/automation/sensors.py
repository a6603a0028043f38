"""The inbox sensor: each new set of files lands once and refreshes what depends on it.

Two run requests per new file set, both keyed by the set's content:
* a fast lane (only when behaviour events arrived): land app events, restage them incrementally
  and append to the cart-recall triggers table; seconds, not a rebuild of the world;
* a full lane: land the affected sources and rebuild everything downstream of them.
Both go through the `duckdb_writer` pool, so they queue behind each other instead of colliding.
"""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from orchestration.lib.contract import entities_of
from orchestration.lib.inbox_scan import InboxCursor, file_set_key, new_inbox_files
from orchestration.lib.settings import load_settings

FAST_LANE_KEYS = [
    AssetKey(["raw", "app_events"]),
    AssetKey(["staging", "stg_app__events"]),
    AssetKey(["marts", "cart_recall_triggers"]),
]


def _landing_keys(sources: set[str]) -> list[AssetKey]:
    return [AssetKey(["raw", e.raw_table]) for s in sorted(sources) for e in entities_of(s)]


@sensor(
    name="inbox_sensor",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Lands new inbox files once per content and refreshes what depends on them.",
)
def inbox_sensor(context: SensorEvaluationContext):
    settings = load_settings()
    files, cursor = new_inbox_files(settings.inbox_dir, InboxCursor.loads(context.cursor))
    if not files:
        return SkipReason(f"no new files in {settings.inbox_dir}")
    key = file_set_key(files)
    sources = {f.source for f in files}
    requests = []
    if "app" in sources:
        requests.append(
            RunRequest(
                run_key=f"fast-{key}",
                asset_selection=FAST_LANE_KEYS,
                tags={"lakehouse/lane": "fast"},
            )
        )
    full = AssetSelection.assets(*_landing_keys(sources)).downstream()
    requests.append(
        RunRequest(
            run_key=f"full-{key}",
            asset_selection=list(full.resolve(context.repository_def.asset_graph)),
            tags={"lakehouse/lane": "full", "lakehouse/files": str(len(files))},
        )
    )
    context.log.info(f"{len(files)} new file(s) from {sorted(sources)}; file set {key}")
    return SensorResult(run_requests=requests, cursor=cursor.dumps())
