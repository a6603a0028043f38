"""Run context: arguments, deterministic per-stage random streams, the static world."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from . import catalog as cat


@dataclass
class Ctx:
    customers: int
    days: int
    start: dt.date
    seed: int
    dirt_rate: float
    t0: int = 0  # UTC epoch ms of local (Asia/Shanghai) midnight of the start date
    regions: tuple[cat.Region, ...] = ()
    stores: tuple[cat.Store, ...] = ()
    catalog: cat.SkuCatalog | None = None
    day_w: np.ndarray = field(default_factory=lambda: np.ones(1))
    # Chunk of customers being built (0 = the whole world or its first chunk): chunk k > 0 draws
    # from its own random streams, so a world that fits one chunk is unchanged by chunking.
    chunk: int = 0
    # Next free integer id per id kind, shared by every chunk so ids stay unique in the world.
    id_next: dict[str, int] = field(default_factory=dict)

    @classmethod
    def create(cls, customers: int, days: int, start: dt.date, seed: int, dirt_rate: float) -> Ctx:
        ctx = cls(customers, days, start, seed, dirt_rate)
        ctx.t0 = cat.local_start_epoch_ms(start)
        ctx.regions = cat.load_regions()
        ctx.stores = cat.load_stores(start)
        ctx.catalog = cat.build_catalog(ctx.rng("catalog"))
        ctx.day_w = cat.day_weights(start, days)
        return ctx

    def rng(self, stage: str) -> np.random.Generator:
        """An independent stream per stage (and chunk), so stages do not perturb each other."""
        name = stage if self.chunk == 0 else f"{stage}@{self.chunk}"
        seq = np.random.SeedSequence([self.seed, zlib.crc32(name.encode())])
        return np.random.default_rng(seq)

    def for_chunk(self, k: int) -> Ctx:
        """The same world (catalog, stores, id counters) for customer chunk k."""
        return replace(self, chunk=k)

    def ids(self, kind: str, n: int) -> np.ndarray:
        """The next n integer ids (1-based) of `kind`, unique across chunks."""
        first = self.id_next.get(kind, 1)
        self.id_next[kind] = first + n
        return np.arange(first, first + n, dtype=np.int64)

    @property
    def t_end(self) -> int:
        return self.t0 + self.days * cat.DAY_MS

    def day_of(self, ts_ms: np.ndarray) -> np.ndarray:
        """Local (Asia/Shanghai) day index of UTC instants."""
        return ((np.asarray(ts_ms) - self.t0) // cat.DAY_MS).astype(np.int64)

    def sample_days(
        self,
        rng: np.random.Generator,
        lo: np.ndarray,
        hi: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """One day per row in [lo, hi), following the demand curve (sale peaks, weekdays)."""
        w = self.day_w if weights is None else weights
        cw = np.concatenate([[0.0], np.cumsum(w)])
        lo = np.clip(lo, 0, self.days - 1)
        hi = np.clip(hi, lo + 1, self.days)
        u = cw[lo] + rng.random(len(lo)) * (cw[hi] - cw[lo])
        return np.clip(np.searchsorted(cw, u, side="right") - 1, lo, hi - 1)

    def instants(
        self,
        rng: np.random.Generator,
        day: np.ndarray,
        hour_profile: np.ndarray,
        offset_ms: int | np.ndarray = cat.SHANGHAI_OFFSET_MS,
    ) -> np.ndarray:
        """UTC ms for local days with an hour-of-day profile; offset = zone's UTC offset."""
        p = hour_profile / hour_profile.sum()
        hour = rng.choice(24, size=len(day), p=p)
        sec = rng.integers(0, 3600, len(day))
        local_midnight = self.t0 + cat.SHANGHAI_OFFSET_MS + day * cat.DAY_MS
        return local_midnight - offset_ms + hour * cat.HOUR_MS + sec * 1000
