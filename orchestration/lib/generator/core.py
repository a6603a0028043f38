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
from .context import Ctx
from .frame import Frame
from .membership import build_membership
from .offline import build_offline
from .online import build_online
from .partners import build_dmp, build_social
from .persons import build_persons
from .purchases import build_purchases
from .truth import write_truth

GENERATOR_VERSION = "1"


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
) -> GenerationReport:
    """Write a deterministic synthetic inbox for `customers` people over `days` days to `out`."""
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be positive")
    if not 0 <= dirt_rate < 0.5:
        raise ValueError("dirt_rate must be in [0, 0.5)")
    out = Path(out)
    start_d = _as_date(start)
    log = _Progress(progress)
    started = time.perf_counter()
    ctx = Ctx.create(customers, days, start_d, seed, dirt_rate)
    for e in ENTITIES:  # a clean slate for our own folders; other content is left alone
        shutil.rmtree(out / e.source / e.name, ignore_errors=True)
    shutil.rmtree(out / "_truth", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    ps = build_persons(ctx)
    log(
        f"persons: {ps.n:,} ({int(ps.online.sum()):,} online, {int(ps.offline.sum()):,} "
        f"offline, {int(ps.is_member.sum()):,} members, {len(ps.dev_id):,} devices)"
    )
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
    frames = {
        f.entity.key: f for f in [*on.frames, *off.frames, *ms.frames, social, build_dmp(ctx, ps)]
    }
    log(f"partners: tags {len(social):,}, segments {len(frames['dmp/segments']):,}")

    report = GenerationReport(out=out)
    con = writers.connect()
    regions = {r.code: r for r in ctx.regions}
    dirt_rows: list[tuple[str, str, int, int]] = []
    try:
        for ent in ENTITIES:
            f: Frame = frames[ent.key]
            f.day = np.clip(f.day, 0, days - 1)
            d = dirt.apply(f, ctx.rng(f"dirt:{ent.key}"), dirt_rate, days, regions)
            paths = writers.write_entity(con, d, ent, out, start_d)
            report.files.extend(paths)
            report.rows_clean[ent.key] = len(f)
            report.lines_written[ent.key] = d.table.num_rows
            report.dirt[ent.key] = dict(sorted(d.counts.items()))
            dirt_rows += [(ent.key, k, v, len(f)) for k, v in sorted(d.counts.items())]
            log(f"wrote {ent.key}: {d.table.num_rows:,} lines in {len(paths)} files")
            del d
        resent = writers.redeliver(ctx.rng("redeliver"), report.files, dirt_rate)
        report.redelivered = [dst for _, dst in resent]
        if resent:
            dirt_rows.append(("*", "redelivered_file", len(resent), len(report.files)))
        log(f"re-delivered {len(resent)} files")
        write_truth(con, ctx, ps, on, off, ms, social_truth, out, dirt_rows)
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
