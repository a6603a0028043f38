"""Write each audience's latest snapshot to ``<exports>/audiences/<audience>/<date>/``.

Read from the published serving copy (never the live warehouse), through the hardened
connection BI uses; files are written by pyarrow, not by SQL (the connection has no file
access). Each snapshot folder holds:

* ``members.parquet`` and ``members.csv``: the treatment members only (holdout members are
  not sent to), columns ``customer_id`` (keyed hash) and ``offer_code``, sorted;
* ``manifest.json``: audience, snapshot date, version number, definition hash, and the counts
  (members, holdout, treatment, adds, removes) from ``audience_versions``.

A folder is built aside and renamed into place, so a reader sees a whole snapshot or the
previous one; re-exporting the same snapshot rewrites identical files.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from orchestration.lib.serving import connect_serving

VERSION_COLUMNS = (
    "audience_code",
    "snapshot_date",
    "version_number",
    "member_customers",
    "member_offers",
    "holdout_customers",
    "treatment_customers",
    "added_offers",
    "removed_offers",
    "channel",
    "holdout_percent",
    "definition_hash",
)


@dataclass
class ExportReport:
    root: Path
    folders: dict[str, str] = field(default_factory=dict)  # audience -> folder written
    rows: dict[str, int] = field(default_factory=dict)  # audience -> treatment rows exported


def _latest_versions(conn) -> list[dict]:
    rows = conn.execute(
        f"""
        select {", ".join(VERSION_COLUMNS)}
        from marts.audience_versions
        where snapshot_date = (select max(snapshot_date) from marts.audience_versions)
        order by audience_code
        """
    ).fetchall()
    return [dict(zip(VERSION_COLUMNS, r, strict=True)) for r in rows]


def _treatment_members(conn, audience_code: str, snapshot_date) -> pa.Table:
    cur = conn.execute(
        """
        select customer_id, offer_code
        from marts.audience_snapshots
        where audience_code = ? and snapshot_date = ? and not is_holdout
        order by customer_id, offer_code
        """,
        [audience_code, snapshot_date],
    )
    # duckdb 1.5 renamed fetch_arrow_table (deprecated) to to_arrow_table.
    return cur.to_arrow_table() if hasattr(cur, "to_arrow_table") else cur.fetch_arrow_table()


def _replace_dir(building: Path, final: Path) -> None:
    """Move ``building`` to ``final``; an existing ``final`` is swapped out, then removed."""
    retired = None
    if final.exists():
        retired = final.with_name(f".retired-{uuid.uuid4().hex}")
        final.rename(retired)
    building.rename(final)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def export_audiences(serving_db: Path | str, exports_dir: Path | str) -> ExportReport:
    root = Path(exports_dir) / "audiences"
    root.mkdir(parents=True, exist_ok=True)
    report = ExportReport(root=root)
    conn = connect_serving(serving_db)
    try:
        for version in _latest_versions(conn):
            code, day = version["audience_code"], version["snapshot_date"]
            members = _treatment_members(conn, code, day)
            final = root / code / day.isoformat()
            final.parent.mkdir(parents=True, exist_ok=True)
            building = final.with_name(f".building-{uuid.uuid4().hex}")
            building.mkdir()
            pq.write_table(members, building / "members.parquet")
            pa_csv.write_csv(members, building / "members.csv")
            manifest = {**version, "snapshot_date": day.isoformat(), "exported_rows": len(members)}
            (building / "manifest.json").write_text(json.dumps(manifest, indent=2, default=int))
            _replace_dir(building, final)
            report.folders[code] = str(final)
            report.rows[code] = len(members)
    finally:
        conn.close()
    return report
