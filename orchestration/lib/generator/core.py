"""generate(): build the world, shape the feeds, add dirt, write drop files and the truth."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orchestration.lib.contract import ENTITIES

from . import dirt, writers
from .community import build_community, write_community_truth
from .context import Ctx
from .experiments import build_experiments, write_experiment_truth
from .frame import Frame
from .measurement import SUMMED, build_measurement, write_world_truth
from .measurement import write_truth as write_measurement_truth
from .membership import build_membership
from .offline import build_offline
from .online import build_online
from .partners import build_dmp, build_social
from .persons import Persons, build_persons
from .purchases import build_purchases
from .truth import merge_truth_parts, write_dirt_truth, write_truth

GENERATOR_VERSION = "1"
# Customers built at once: ~2.5 GB peak at 100,000 over a year.
CHUNK_CUSTOMERS = 100_000
FOOTFALL = "pos/footfall"
EXPERIMENTS_SOURCE = "experiments"


@dataclass
class GenerationReport:
    out: Path
    rows_clean: dict[str, int] = field(default_factory=dict)  # true records per entity
    lines_written: dict[str, int] = field(default_factory=dict)  # data lines incl. dirt
    files: list[Path] = field(default_factory=list)
    redelivered: list[Path] = field(default_factory=list)
    dirt: dict[str, dict[str, int]] = field(default_factory=dict)
    bytes_written: int = 0
    elapsed_s: float = 0.0

    @property
    def rows(self) -> dict[str, int]:
        return self.rows_clean


class _Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.t0 = self.last = time.perf_counter()

    def __call__(self, msg: str) -> None:
        now = time.perf_counter()
        if self.enabled:
            print(f"[generator {now - self.t0:6.1f}s +{now - self.last:5.1f}s] {msg}", flush=True)
        self.last = now


def _as_date(start: str | dt.date) -> dt.date:
    return start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))


def generate(
    customers: int,
    days: int,
    start: str | dt.date,
    seed: int,
    out: str | Path,
    dirt_rate: float = 0.02,
    progress: bool = True,
    chunk_customers: int = CHUNK_CUSTOMERS,
) -> GenerationReport:
    """Write a deterministic synthetic inbox for `customers` people over `days` days to `out`.

    Customers are built in chunks of `chunk_customers` (memory stays flat with the world's size):
    every chunk appends to the same day files and ids stay unique. A world of one chunk is
    byte-identical to an unchunked build; a larger world depends on the chunk size too."""
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    if not 0 <= dirt_rate < 0.5:
        raise ValueError("dirt_rate must be in [0, 0.5)")
    if chunk_customers < 1:
        raise ValueError("chunk_customers must be positive")
    out = Path(out)
    start_d = _as_date(start)
    log = _Progress(progress)
    started = time.perf_counter()
    ctx = Ctx.create(customers, days, start_d, seed, dirt_rate)
    for e in ENTITIES:  # a clean slate for our own folders; other content is left alone
        shutil.rmtree(out / e.source / e.name, ignore_errors=True)
    shutil.rmtree(out / "_truth", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    ps_all = build_persons(ctx)
    log(
        f"persons: {ps_all.n:,} ({int(ps_all.online.sum()):,} online, "
        f"{int(ps_all.offline.sum()):,} offline, {int(ps_all.is_member.sum()):,} members, "
        f"{len(ps_all.dev_id):,} devices)"
    )
    bounds = list(range(0, customers, chunk_customers)) + [customers]
    chunks = list(zip(bounds[:-1], bounds[1:], strict=True))
    report = GenerationReport(out=out)
    dirt_counts: dict[str, Counter] = {}
    files: dict[Path, None] = {}  # every day file once, in first-write order
    footfall: Frame | None = None
    summed: dict[str, Frame] = {}  # measurement grids (impressions, spend), summed over chunks
    con = writers.connect()
    try:
        for k, (a, b) in enumerate(chunks):
            cctx = ctx.for_chunk(k)
            ps = ps_all if len(chunks) == 1 else ps_all.slice(a, b)
            if len(chunks) > 1:
                log(f"chunk {k + 1}/{len(chunks)}: customers {a + 1:,}-{b:,}")
            frames, world = _build_feeds(cctx, ps, log)
            meas = build_measurement(cctx, ps, world[0])
            frames.update(meas.frames)
            for ent in ENTITIES:
                if ent.source == EXPERIMENTS_SOURCE:  # built once for the world, below
                    continue
                f = frames.pop(ent.key)
                if ent.key == FOOTFALL and len(chunks) > 1:  # a store grid: summed, written last
                    footfall = f if footfall is None else _add_footfall(footfall, f)
                    continue
                if ent.key in SUMMED and len(chunks) > 1:
                    prev = summed.get(ent.key)
                    summed[ent.key] = f if prev is None else SUMMED[ent.key](prev, f)
                    continue
                _write(con, cctx, f, ent, out, start_d, report, dirt_counts, files, log)
            truth_dir = out / "_truth" if len(chunks) == 1 else _truth_part(out, k)
            write_truth(con, cctx, ps, *world[:4], truth_dir, with_traps=k == 0)
            write_community_truth(con, world[4], truth_dir)
            write_measurement_truth(con, meas, truth_dir)
            del frames, world, meas
        if footfall is not None:
            ent = next(e for e in ENTITIES if e.key == FOOTFALL)
            _write(con, ctx, footfall, ent, out, start_d, report, dirt_counts, files, log)
        for key, f in summed.items():
            ent = next(e for e in ENTITIES if e.key == key)
            _write(con, ctx, f, ent, out, start_d, report, dirt_counts, files, log)
        experiments = build_experiments(ctx, ps_all)
        for f in experiments.frames:
            _write(con, ctx, f, f.entity, out, start_d, report, dirt_counts, files, log)
        report.files = list(files)
        resent = writers.redeliver(ctx.rng("redeliver"), report.files, dirt_rate)
        report.redelivered = [dst for _, dst in resent]
        log(f"re-delivered {len(resent)} files")
        report.dirt = {e.key: dict(sorted(dirt_counts[e.key].items())) for e in ENTITIES}
        dirt_rows = [
            (key, kind, v, report.rows_clean[key])
            for key, kinds in report.dirt.items()
            for kind, v in kinds.items()
        ]
        if resent:
            dirt_rows.append(("*", "redelivered_file", len(resent), len(report.files)))
        write_dirt_truth(con, out / "_truth", dirt_rows)
        if len(chunks) > 1:
            parts = [_truth_part(out, k) for k in range(len(chunks))]
            merge_truth_parts(con, out / "_truth", parts)
        write_world_truth(con, ctx, out / "_truth")
        write_experiment_truth(experiments, out / "_truth")
    finally:
        con.close()
    report.bytes_written = sum(p.stat().st_size for p in report.files + report.redelivered)
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "arguments": {
            "customers": customers,
            "days": days,
            "start": start_d.isoformat(),
            "seed": seed,
            "dirt_rate": dirt_rate,
        },
        "entities": {
            k: {
                "rows_clean": report.rows_clean[k],
                "lines_written": report.lines_written[k],
                "dirt": report.dirt[k],
            }
            for k in report.rows_clean
        },
        "dirt_totals": dict(
            sorted(sum((Counter(v) for v in report.dirt.values()), Counter()).items())
        ),
        "files": len(report.files),
        "redelivered_files": [str(p.relative_to(out)) for p in report.redelivered],
        "bytes": report.bytes_written,
    }
    (out / "_truth" / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    report.elapsed_s = time.perf_counter() - started
    log(
        f"done: {len(report.files):,} files + {len(report.redelivered)} re-deliveries, "
        f"{report.bytes_written / 1e6:,.1f} MB"
    )
    return report


def _build_feeds(ctx: Ctx, ps: Persons, log: _Progress) -> tuple[dict[str, Frame], tuple]:
    """Every feed of these persons as frames keyed by entity, plus what the truth needs."""
    pur = build_purchases(ctx, ps)
    log(f"purchases: {len(pur.person):,} ({int(pur.online.sum()):,} online)")
    on = build_online(ctx, ps, pur)
    log("online: " + ", ".join(f"{f.entity.name} {len(f):,}" for f in on.frames))
    off = build_offline(ctx, ps, pur)
    log("offline: " + ", ".join(f"{f.entity.name} {len(f):,}" for f in off.frames))
    o = on.orders
    paid = np.flatnonzero(o.paid)
    rid = np.array([f"R{r:010d}" for r in off.receipt_id[off.receipt_member]], dtype=object)
    ms = build_membership(
        ctx,
        ps,
        np.concatenate([o.person[paid], off.receipt_person[off.receipt_member]]),
        np.concatenate([o.paid_ts[paid], off.receipt_ts[off.receipt_member]]),
        np.concatenate([o.pay[paid], off.receipt_total[off.receipt_member]]),
        np.concatenate([o.order_id[paid], rid]),
    )
    log("membership: " + ", ".join(f"{f.entity.name} {len(f):,}" for f in ms.frames))
    social, social_truth = build_social(ctx, ps)
    comm = build_community(ctx, ps)
    log("community: " + ", ".join(f"{f.entity.key} {len(f):,}" for f in comm.frames))
    frames = {
        f.entity.key: f
        for f in [*on.frames, *off.frames, *ms.frames, social, build_dmp(ctx, ps), *comm.frames]
    }
    log(f"partners: tags {len(social):,}, segments {len(frames['dmp/segments']):,}")
    return frames, (on, off, ms, social_truth, comm.truth)


def _write(
    con,
    ctx: Ctx,
    f: Frame,
    ent,
    out: Path,
    start: dt.date,
    report: GenerationReport,
    dirt_counts: dict[str, Counter],
    files: dict[Path, None],
    log: _Progress,
) -> None:
    """Dirty one frame and append it to the entity's day files."""
    f.day = np.clip(f.day, 0, ctx.days - 1)
    regions = {r.code: r for r in ctx.regions}
    d = dirt.apply(f, ctx.rng(f"dirt:{ent.key}"), ctx.dirt_rate, ctx.days, regions)
    paths = writers.write_entity(con, d, ent, out, start)
    files.update(dict.fromkeys(paths))
    report.rows_clean[ent.key] = report.rows_clean.get(ent.key, 0) + len(f)
    report.lines_written[ent.key] = report.lines_written.get(ent.key, 0) + d.table.num_rows
    dirt_counts.setdefault(ent.key, Counter()).update(d.counts)
    log(f"wrote {ent.key}: {d.table.num_rows:,} lines in {len(paths)} files")


def _add_footfall(total: Frame, more: Frame) -> Frame:
    """Footfall is one row per store, sensor and open hour: chunks add their visitors."""
    assert np.array_equal(total.cols["hour_start"], more.cols["hour_start"])
    for c in ("entries", "exits"):
        total.cols[c] = total.cols[c] + more.cols[c]
    return total


def _truth_part(out: Path, k: int) -> Path:
    return out / "_truth" / ".parts" / f"{k:04d}"
