"""`make bench SCALE=...`: time each stage of the pipeline separately, then one incremental day.

Stages: generate, land, dbt build (models and seeds), dbt tests, publish; then one more day of
files is dropped into the built warehouse and land + build + tests + publish are timed again.
For each: wall time, rows per second where it means something, and peak RSS of the whole process
tree (dbt runs as a child process, so it is counted). Results go to bench/results/.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import psutil

from orchestration.lib.bench.memory import PeakRssSampler, Stopwatch
from orchestration.lib.bench.reference import plain_bulk_load
from orchestration.lib.landing.tables import LEDGER
from orchestration.lib.settings import (
    DBT_PROFILES_DIR,
    DBT_PROJECT_DIR,
    PROJECT_ROOT,
    Settings,
    duckdb_config,
    load_settings,
)

SCALES = {
    # name: (customers, days)
    "xs": (300, 30),
    "s": (10_000, 365),
    "m": (100_000, 365),
    "l": (1_000_000, 365),
}
BENCH_START = "2025-11-01"
# Measured next to landing, not part of the pipeline: DuckDB's bulk load of the same files.
PLAIN_LOAD = "reference: plain DuckDB bulk load"


@dataclass
class StageResult:
    name: str
    seconds: float
    peak_rss_mb: float
    rows: int | None = None
    rows_per_second: float | None = None
    detail: dict = field(default_factory=dict)


def _stage(name: str, fn, rows_fn=None) -> StageResult:
    with PeakRssSampler() as mem, Stopwatch() as clock:
        detail = fn() or {}
    rows = rows_fn() if rows_fn else None
    result = StageResult(
        name=name,
        seconds=round(clock.seconds, 2),
        peak_rss_mb=round(mem.peak_bytes / 2**20, 1),
        rows=rows,
        rows_per_second=round(rows / clock.seconds) if rows and clock.seconds > 0 else None,
        detail=detail,
    )
    # Progress as it happens: a long run that is stopped early still leaves its figures.
    print(f"[bench] {name}: {result.seconds} s, peak {result.peak_rss_mb} MB, rows {rows}")
    print(f"[bench] {name} detail: {json.dumps(detail)[:2000]}", flush=True)
    return result


def _dbt(settings: Settings, *args: str, target_path: Path) -> dict:
    env = {**os.environ, **settings.dbt_env()}
    cmd = [
        str(Path(sys.executable).with_name("dbt")),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROFILES_DIR),
        "--target-path",
        str(target_path),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    results_file = target_path / "run_results.json"
    # Failing data tests are a finding to report, not a reason to stop measuring; anything
    # else (a model error, a crash) stops the benchmark.
    failed_tests_only = proc.returncode == 1 and args[0] == "test" and results_file.exists()
    if proc.returncode != 0 and not failed_tests_only:
        tail = "\n".join(proc.stdout.splitlines()[-30:])
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{tail}")
    results = json.loads(results_file.read_text())["results"]
    timed = sorted(
        ((r["unique_id"], round(r.get("execution_time") or 0.0, 2)) for r in results),
        key=lambda x: -x[1],
    )
    failed = [r["unique_id"] for r in results if r["status"] in ("fail", "error")]
    return {
        "nodes": len(results),
        "failed": failed,
        "slowest": timed[:10],
        **_tagged_share(target_path, timed, ACTIVATION_TAG),
    }


# Models of issue 10 (LTV, audiences): the bench reports what they add to the build.
ACTIVATION_TAG = "activation"


def _tagged_share(target_path: Path, timed: list[tuple[str, float]], tag: str) -> dict:
    """Node seconds of the nodes tagged ``tag`` against the others' (summed over nodes: with
    2 dbt threads this is work, not wall time, which is what the target is about)."""
    nodes = json.loads((target_path / "manifest.json").read_text())["nodes"]
    tagged_nodes = [(uid, sec) for uid, sec in timed if tag in nodes.get(uid, {}).get("tags", [])]
    tagged = sum(sec for _, sec in tagged_nodes)
    rest = sum(sec for _, sec in timed) - tagged
    return {
        f"{tag}_node_seconds": round(tagged, 2),
        "other_node_seconds": round(rest, 2),
        f"{tag}_added_share": round(tagged / rest, 4) if rest else None,
        f"{tag}_slowest": tagged_nodes[:5],  # timed is sorted slowest first
    }


def _warehouse_rows(settings: Settings, schema: str) -> int:
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
        return sum(
            conn.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0] for (t,) in tables
        )
    finally:
        conn.close()


def _split_last_day(generated: Path, inbox: Path, last_day: date) -> list[Path]:
    """Move every generated file into the inbox except the last day's, which are returned."""
    token = last_day.strftime("%Y%m%d")
    held = []
    for path in sorted(generated.rglob("*")):
        if not path.is_file() or "_truth" in path.parts:
            continue
        rel = path.relative_to(generated)
        if token in path.name:
            held.append(path)
            continue
        (inbox / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, inbox / rel)
    return held


def _empty_inbox(inbox: Path) -> None:
    """Landed files leave the inbox, as an archiving job would: raw keeps every line, and at
    scale l the 21 GB of files would otherwise take the disk DuckDB spills to."""
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)


def _landed_at(settings: Settings) -> datetime:
    conn = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        (stamp,) = conn.execute(f"select max(landed_at) from {LEDGER}").fetchone()
    finally:
        conn.close()
    return stamp.replace(tzinfo=UTC)


def run_bench(scale: str, out_dir: Path | None = None, reuse_landed: bool = False) -> dict:
    """Benchmark `scale`. reuse_landed: keep the generated and landed data of the last run at
    this scale (generate and land are not measured again) and time the rest, the dbt build
    with --full-refresh."""
    from orchestration.lib.generator import generate
    from orchestration.lib.landing import land_inbox
    from orchestration.lib.serving import publish_marts

    customers, days = SCALES[scale]
    work = PROJECT_ROOT / "data" / "bench" / scale
    if not reuse_landed:
        shutil.rmtree(work, ignore_errors=True)
    os.environ["LAKEHOUSE_DATA_DIR"] = str(work)
    settings = load_settings()
    generated = work / "generated"
    target = work / "dbt_target"
    stages: list[StageResult] = []

    def gen():
        report = generate(
            customers=customers,
            days=days + 1,
            start=BENCH_START,
            seed=42,
            out=generated,
            dirt_rate=0.02,
            progress=True,
        )
        return {"report": str(report)[:500]}

    # The extra day lands a day after the history, as it would in production: incremental
    # staging reads what was landed since its last run (dbt var staging_lookback_hours).
    if reuse_landed:
        if not settings.warehouse_path.exists():
            raise SystemExit(f"--reuse-landed: nothing landed under {work}")
        held = sorted(p for p in generated.rglob("*") if p.is_file() and "_truth" not in p.parts)
        history_landed_at = _landed_at(settings)
    else:
        stages.append(_stage("generate", gen))
        last_day = date.fromisoformat(BENCH_START) + timedelta(days=days)
        held = _split_last_day(generated, settings.inbox_dir, last_day)
        history_landed_at = datetime.now(UTC)

    def land(now: datetime = history_landed_at):
        settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
        report = land_inbox(settings.warehouse_path, settings.inbox_dir, now=now)
        return {"report": str(report)[:500]}

    def publish(full: bool = False):
        # With the resource limits the Dagster asset uses (without them DuckDB takes 80 % of RAM).
        report = publish_marts(
            settings.warehouse_path, settings.serving_dir, config=duckdb_config(settings), full=full
        )
        kinds = Counter(what.split(" ")[0] for what in report.changes.values())
        partial = {t: what for t, what in report.changes.items() if what.startswith("replaced")}
        return {"incremental": report.incremental, "tables": dict(kinds), "partial": partial}

    def build_models(*extra: str):
        excluded = ("resource_type:test", "resource_type:unit_test")
        return _dbt(settings, "build", *extra, "--exclude", *excluded, target_path=target)

    def run_tests():
        return _dbt(settings, "test", "--exclude", "resource_type:unit_test", target_path=target)

    if not reuse_landed:
        stages.append(_stage("land", land, lambda: _warehouse_rows(settings, "raw")))
        plain: dict = {}

        def plain_load():
            plain.update(plain_bulk_load(settings.inbox_dir, work / "plain_reference.duckdb"))
            return plain

        stages.append(_stage(PLAIN_LOAD, plain_load, lambda: plain["rows"]))
    _empty_inbox(settings.inbox_dir)
    full_refresh = ("--full-refresh",) if reuse_landed else ()
    stages.append(
        _stage(
            "dbt build (models, seeds)",
            lambda: build_models(*full_refresh),
            lambda: _warehouse_rows(settings, "marts"),
        )
    )
    stages.append(_stage("dbt tests", run_tests))
    # From scratch, as a first publish; the incremental day's publish starts from this one.
    stages.append(_stage("publish", lambda: publish(full=True)))
    full_seconds = sum(s.seconds for s in stages if s.name not in ("generate", PLAIN_LOAD))

    for path in held:
        rel = path.relative_to(generated)
        (settings.inbox_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, settings.inbox_dir / rel)
    incremental = [
        _stage("incremental: land", lambda: land(history_landed_at + timedelta(days=1))),
        _stage("incremental: dbt build", build_models),
        _stage("incremental: dbt tests", run_tests),
        _stage("incremental: publish", publish),
    ]
    result = {
        "scale": scale,
        "customers": customers,
        "days": days,
        "reused_landed_data": reuse_landed,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "duckdb": duckdb.__version__,
        },
        "stages": [asdict(s) for s in stages],
        "incremental_day": [asdict(s) for s in incremental],
        "full_pipeline_seconds": round(full_seconds, 1),
        "incremental_day_seconds": round(sum(s.seconds for s in incremental), 1),
        # The pipeline's peak: the plain reference load is not part of it.
        "peak_rss_mb": max(s.peak_rss_mb for s in stages + incremental if s.name != PLAIN_LOAD),
    }
    out_dir = out_dir or PROJECT_ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (out_dir / f"{scale}-{stamp}.json").write_text(json.dumps(result, indent=2))
    (out_dir / f"{scale}-{stamp}.md").write_text(render_markdown(result))
    print(render_markdown(result))
    return result


def render_markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        f"## Scale {r['scale']}: {r['customers']:,} customers x {r['days']} days",
        f"Machine: {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
        f"DuckDB {m['duckdb']}. Run at {r['started_at']}.",
        *(
            ["Generate and land: reused from the previous run (not timed here)."]
            if r.get("reused_landed_data")
            else []
        ),
        "",
        "| stage | seconds | rows | rows/s | peak RSS MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in r["stages"] + r["incremental_day"]:
        rows = f"{s['rows']:,}" if s["rows"] else ""
        rps = f"{s['rows_per_second']:,}" if s["rows_per_second"] else ""
        lines.append(f"| {s['name']} | {s['seconds']} | {rows} | {rps} | {s['peak_rss_mb']} |")
    lines += [
        "",
        f"Full pipeline ({'build' if r.get('reused_landed_data') else 'land + build'}"
        f" + tests + publish): **{r['full_pipeline_seconds']} s**; "
        f"one incremental day: **{r['incremental_day_seconds']} s**; "
        f"peak memory: **{r['peak_rss_mb']} MB**.",
    ]
    by_name = {s["name"]: s for s in r["stages"]}
    if "land" in by_name and PLAIN_LOAD in by_name and by_name[PLAIN_LOAD]["seconds"]:
        land, plain = by_name["land"], by_name[PLAIN_LOAD]
        lines += [
            "",
            f"Landing took **{land['seconds'] / plain['seconds']:.1f}x** the plain DuckDB bulk "
            f"load of the same files ({land['seconds']} s against {plain['seconds']} s; the "
            "reference keeps no ledger, line numbers or rejects; target: within 2x).",
        ]
        for table, error in plain["detail"].get("failed", {}).items():
            lines.append(f"The reference could not read `{table}`: {error}")
    for s in r["stages"] + r["incremental_day"]:
        for uid in s["detail"].get("failed", []):
            lines.append(f"FAILED in {s['name']}: `{uid}`")
    builds = (("full build", r["stages"]), ("incremental day's build", r["incremental_day"]))
    for title, stage in builds:
        build = next((s for s in stage if "dbt build" in s["name"]), None)
        if build is None:
            continue
        share = build["detail"].get(f"{ACTIVATION_TAG}_added_share")
        if share is not None:
            lines += [
                "",
                f"Activation models (LTV, audiences; tag `{ACTIVATION_TAG}`) in the {title}: "
                f"{build['detail'][f'{ACTIVATION_TAG}_node_seconds']} node-seconds, "
                f"**{share:.1%}** on top of the other models' "
                f"{build['detail']['other_node_seconds']} (target: at most 20 % at scale m). "
                "Slowest of them: "
                + ", ".join(
                    f"`{uid.split('.')[-1]}` {sec} s"
                    for uid, sec in build["detail"].get(f"{ACTIVATION_TAG}_slowest", [])
                )
                + ".",
            ]
        lines += ["", f"Ten slowest dbt nodes in the {title}:", ""]
        lines += [f"- `{uid}`: {sec} s" for uid, sec in build["detail"].get("slowest", [])]
    return "\n".join(lines) + "\n"
