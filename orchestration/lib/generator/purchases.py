"""Purchase occasions (when, what, where) and their baskets, before any feed is shaped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog as cat
from .context import Ctx
from .frame import starts
from .persons import Persons


@dataclass
class Purchases:
    person: np.ndarray
    ts: np.ndarray  # UTC epoch ms
    cat: np.ndarray  # main category
    online: np.ndarray  # bool
    store: np.ndarray  # store index, -1 online
    cyclic: np.ndarray  # bool: a repurchase-cycle purchase

    def take(self, mask: np.ndarray) -> Purchases:
        return Purchases(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


@dataclass
class Lines:
    parent: np.ndarray  # index of the basket (order, receipt, session) the line belongs to
    line_no: np.ndarray  # 1-based within the parent
    sku: np.ndarray  # index into the catalog
    qty: np.ndarray
    price: np.ndarray  # unit price CNY

    @property
    def amount(self) -> np.ndarray:
        return self.qty * self.price


def sample_categories(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    cw = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cw[:, -1]
    return (cw < u[:, None]).sum(axis=1)


def build_purchases(ctx: Ctx, ps: Persons) -> Purchases:
    rng = ctx.rng("purchases")
    lo = np.maximum(ps.acq_day, 0)
    hi = np.minimum(ps.churn_day, ctx.days)
    active = np.maximum(hi - lo, 0)
    # Non-cyclic purchases: Poisson around a gamma-distributed personal rate.
    k = rng.poisson(ps.rate * active / 30.44)
    p_rand = np.repeat(np.arange(ps.n), k)
    d_rand = ctx.sample_days(rng, lo[p_rand], hi[p_rand])
    w = ps.affinity[p_rand].copy()
    for name in ("infant_formula", "sanitary_pads"):
        w[:, cat.CAT_INDEX[name]] *= 0.15
    c_rand = sample_categories(rng, w)

    # Cyclic repurchases: renewal process around the category's cycle, some cycles skipped.
    ps_cyc, ds_cyc, cs_cyc = [], [], []
    for name, who in (("infant_formula", ps.has_baby), ("sanitary_pads", ps.pad_user)):
        c = cat.CATEGORIES[cat.CAT_INDEX[name]]
        idx = np.flatnonzero(who & (active > 0))
        kmax = ctx.days // c.cycle_days + 3
        gaps = rng.normal(c.cycle_days, c.cycle_days * 0.08, (len(idx), kmax))
        gaps[:, 0] = rng.random(len(idx)) * c.cycle_days
        when = lo[idx, None] + np.cumsum(gaps, axis=1)
        keep = (when < hi[idx, None]) & (rng.random(when.shape) > 0.1)
        rows, cols = np.nonzero(keep)
        ps_cyc.append(idx[rows])
        ds_cyc.append(when[rows, cols].astype(np.int64))
        cs_cyc.append(np.full(len(rows), cat.CAT_INDEX[name]))

    person = np.concatenate([p_rand, *ps_cyc])
    day = np.concatenate([d_rand, *ds_cyc])
    category = np.concatenate([c_rand, *cs_cyc])
    cyclic = np.concatenate([np.zeros(len(p_rand), bool), np.ones(len(person) - len(p_rand), bool)])
    online = rng.random(len(person)) < ps.online_share[person]
    store = np.where(online, -1, ps.home_store[person])
    wander = ~online & (rng.random(len(person)) < 0.15)
    store[wander] = rng.integers(0, len(ctx.stores), wander.sum())
    offsets = np.array([s.offset_ms for s in ctx.stores])
    ts = np.where(
        online,
        ctx.instants(rng, day, cat.HOUR_PROFILE_ONLINE),
        ctx.instants(rng, day, cat.HOUR_PROFILE_STORE, offsets[np.maximum(store, 0)]),
    )
    order = np.lexsort((person, ts))
    return Purchases(
        person[order], ts[order], category[order], online[order], store[order], cyclic[order]
    )


def build_baskets(
    ctx: Ctx,
    ps: Persons,
    rng: np.random.Generator,
    person: np.ndarray,
    main_cat: np.ndarray,
    mean_extra: float,
) -> Lines:
    """Lines for baskets: the main category first, extra lines from the person's affinities."""
    n_lines = 1 + np.minimum(rng.poisson(mean_extra, len(person)), 4)
    parent = np.repeat(np.arange(len(person)), n_lines)
    first = starts(n_lines)
    line_no = np.arange(len(parent)) - first[parent] + 1
    lp = person[parent]
    c = np.where(line_no == 1, main_cat[parent], sample_categories(rng, ps.affinity[lp]))
    sku = pick_skus(ctx, ps, rng, lp, c)
    qty = 1 + (rng.random(len(parent)) < 0.2) + (rng.random(len(parent)) < 0.06)
    bulk = np.isin(
        c, [cat.CAT_INDEX["snacks"], cat.CAT_INDEX["baby_diapers"], cat.CAT_INDEX["infant_formula"]]
    )
    qty = qty + (bulk & (rng.random(len(parent)) < 0.3))
    return Lines(parent, line_no, sku, qty.astype(np.int64), ctx.catalog.price[sku])


def pick_skus(
    ctx: Ctx, ps: Persons, rng: np.random.Generator, person: np.ndarray, category: np.ndarray
) -> np.ndarray:
    cl = ctx.catalog
    nb = cl.n_brands[category]
    brand = np.where(
        rng.random(len(person)) < 0.75,
        ps.pref_brand[person, category],
        (rng.random(len(person)) * nb).astype(int),
    )
    rank = np.clip(
        np.round(ps.premium[person] * (cat.SKUS_PER_BRAND - 1) + rng.normal(0, 2, len(person))),
        0,
        cat.SKUS_PER_BRAND - 1,
    )
    return cl.cat_offset[category] + brand * cat.SKUS_PER_BRAND + rank.astype(int)
