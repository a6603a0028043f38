"""Experiment exports (A/B tests) with known true effects, an SRM and an A/A test.

Built once for the whole world (not per customer chunk): every experiment enrols a fixed number
of units, the world's own identifiers of its unit type first (user, device or member ids), then
anonymous visitors whose ids no other feed carries (``UV…``, ``DV…``, ``MV…``). Each unit has a
latent engagement and spend level that drive both its pre-period orders (the CUPED covariate)
and its outcome inside the window, so the pre-period predicts the outcome as in real shops.

Per unit i and arm a (relative effects ``conv_rel[a]``, ``value_rel[a]``; control = 0):

* pre-period (``PRE_PERIOD_DAYS`` before assignment): Poisson(8 * h * e_i) orders of value
  Gamma(shape 2, mean ``base_value * s_i``);
* outcome window (``OUTCOME_WINDOW_DAYS`` from assignment): converts with
  p_ia = 1 - exp(-h * e_i * (1 + conv_rel[a])); a converter places 1 + Poisson(0.2) orders of
  value Gamma(shape 2, mean ``base_value * s_i * (1 + value_rel[a])``).

The truth (``_truth/experiments.parquet``) is the average over the enrolled units of the
expected outcome under each arm (the finite-population effect a randomised test estimates
without bias): conversion p_ia, revenue per unit p_ia * 1.2 * base_value * s_i * (1 +
value_rel[a]). The planted sample-ratio mismatch loses a share of one arm's assignment rows at
random (a logging bug), so the effect estimate stays unbiased while the split is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from . import catalog as cat
from .context import Ctx
from .frame import Frame
from .persons import Persons

# Must equal seeds/experiment_parameters.csv (outcome_window_days, pre_period_days).
OUTCOME_WINDOW_DAYS = 14
PRE_PERIOD_DAYS = 28
ASSIGN_SPAN_DAYS = 14  # assignments of one experiment spread over this many days
MIN_UNITS = 10_000  # units per experiment, whatever the world's size (power of the readouts)
UNITS_PER_CUSTOMER = 0.8
EXTRA_ORDERS_MEAN = 0.2  # a converter places 1 + Poisson(this) orders in the window
VALUE_SHAPE = 2.0  # Gamma shape of one order's value
PRE_ACTIVITY = 8.0  # pre-period events per unit = Poisson(PRE_ACTIVITY * hazard * engagement)
ENGAGEMENT_SHAPE = 0.4  # Gamma shape of the unit's engagement (mean 1): lower = more spread
SPEND_SIGMA = 0.5  # log-sd of the unit's spend level (mean 1)
UNIT_TYPES = {"user_id": "UV", "device_id": "DV", "member_id": "MV"}


@dataclass(frozen=True)
class ExperimentSpec:
    experiment_id: str
    unit_type: str
    variants: tuple[str, ...]  # the first is the control
    design: tuple[float, ...]  # designed share of units per variant
    conv_rel: tuple[float, ...]  # relative effect on the conversion hazard per variant
    value_rel: tuple[float, ...]  # relative effect on the mean order value per variant
    hazard: float  # conversion hazard of an average unit in the window
    base_value: float  # mean order value (CNY) of an average unit
    lost: tuple[float, ...] = ()  # share of each arm's assignment rows lost (planted SRM)

    @property
    def is_aa(self) -> bool:
        return not any(self.conv_rel) and not any(self.value_rel)

    @property
    def has_planted_srm(self) -> bool:
        return any(self.lost)


# The brief's tests (section 5), plus an A/A and a planted SRM. Mirrored, for the readouts, by
# seeds/experiment_variants.csv (control and designed split).
EXPERIMENTS: tuple[ExperimentSpec, ...] = (
    ExperimentSpec(
        "rec_algo_cf_vs_dl",
        "user_id",
        ("collaborative_filtering", "deep_learning"),
        (0.5, 0.5),
        (0.0, 0.45),
        (0.0, 0.06),
        0.25,
        160.0,
    ),
    ExperimentSpec(
        "promo_page_discount_vs_gift",
        "user_id",
        ("discount", "gift"),
        (0.5, 0.5),
        (0.0, -0.05),
        (0.0, 0.25),
        0.20,
        220.0,
    ),
    ExperimentSpec(
        "push_time_0800_vs_2000",
        "device_id",
        ("push_0800", "push_2000", "no_push"),
        (0.4, 0.4, 0.2),
        (0.0, 0.50, -0.45),
        (0.0, 0.0, 0.0),
        0.15,
        120.0,
    ),
    ExperimentSpec(
        "checkout_copy_aa",
        "member_id",
        ("control", "control_copy"),
        (0.5, 0.5),
        (0.0, 0.0),
        (0.0, 0.0),
        0.20,
        180.0,
    ),
    ExperimentSpec(
        "coupon_banner_srm",
        "user_id",
        ("control", "banner"),
        (0.5, 0.5),
        (0.0, 0.10),
        (0.0, 0.0),
        0.20,
        150.0,
        lost=(0.0, 0.113),  # 50/50 designed, about 53/47 delivered
    ),
)
METRICS = ("conversion_rate", "revenue_per_unit_cny")


@dataclass
class Experiments:
    frames: list[Frame]
    truth: pa.Table  # one row per experiment x non-control variant x metric
    arms: pa.Table  # one row per experiment x variant: design, planted loss, units


def _unit_ids(rng: np.random.Generator, ps: Persons, unit_type: str, n: int) -> np.ndarray:
    pool = {"user_id": ps.user_id, "device_id": ps.dev_id, "member_id": ps.member_id}[unit_type]
    pool = np.array([v for v in pool if v is not None], dtype=object)
    own = rng.permutation(pool)[:n]
    prefix = UNIT_TYPES[unit_type]
    visitors = np.array([f"{prefix}{k:08d}" for k in range(1, n - len(own) + 1)], dtype=object)
    return np.concatenate([own, visitors])


def _schedule(ctx: Ctx) -> tuple[int, int]:
    """(first assignment day, days over which units are assigned). A world long enough has the
    whole pre-period and window inside it; a shorter one assigns earlier and loses the part of
    the pre-period (and, below OUTCOME_WINDOW_DAYS + 5 days, of the window) outside the world,
    where the truth is no longer exact."""
    n = len(EXPERIMENTS)
    first = max(0, min(PRE_PERIOD_DAYS, ctx.days - OUTCOME_WINDOW_DAYS - n))
    span = max(1, min(ASSIGN_SPAN_DAYS, ctx.days - first - OUTCOME_WINDOW_DAYS - (n - 1)))
    return first, span


def build_experiments(ctx: Ctx, ps: Persons) -> Experiments:
    rng = ctx.rng("experiments")
    first, span = _schedule(ctx)
    n_units = max(MIN_UNITS, round(UNITS_PER_CUSTOMER * ctx.customers))
    a_cols: dict[str, list] = {k: [] for k in ("exp", "var", "ut", "unit", "ts")}
    o_cols: dict[str, list] = {k: [] for k in ("exp", "unit", "ts", "value")}
    truth_rows, arm_rows = [], []
    for k, spec in enumerate(EXPERIMENTS):
        n = n_units
        units = _unit_ids(rng, ps, spec.unit_type, n)
        arm = rng.choice(len(spec.variants), n, p=np.array(spec.design))
        engagement = rng.gamma(ENGAGEMENT_SHAPE, 1 / ENGAGEMENT_SHAPE, n)  # mean 1
        spend = rng.lognormal(-(SPEND_SIGMA**2) / 2, SPEND_SIGMA, n)  # mean 1
        day = np.minimum(first + k + rng.integers(0, span, n), ctx.days - 1)
        assigned = ctx.instants(rng, day, cat.HOUR_PROFILE_ONLINE)
        # pre-period orders (the covariate)
        n_pre = rng.poisson(PRE_ACTIVITY * spec.hazard * engagement)
        who = np.repeat(np.arange(n), n_pre)
        pre_ts = assigned[who] - (rng.random(len(who)) * PRE_PERIOD_DAYS * cat.DAY_MS).astype(
            np.int64
        )
        pre_ts = np.maximum(pre_ts, assigned[who] - PRE_PERIOD_DAYS * cat.DAY_MS + 1)
        pre_val = rng.gamma(VALUE_SHAPE, spec.base_value * spend[who] / VALUE_SHAPE)
        # outcome window
        conv_rel = np.array(spec.conv_rel)
        value_rel = np.array(spec.value_rel)
        p_all = 1 - np.exp(-spec.hazard * engagement[:, None] * (1 + conv_rel[None, :]))
        converted = rng.random(n) < p_all[np.arange(n), arm]
        n_post = np.where(converted, 1 + rng.poisson(EXTRA_ORDERS_MEAN, n), 0)
        pw = np.repeat(np.arange(n), n_post)
        post_ts = assigned[pw] + (rng.random(len(pw)) * OUTCOME_WINDOW_DAYS * cat.DAY_MS).astype(
            np.int64
        )
        post_ts = np.minimum(post_ts, assigned[pw] + OUTCOME_WINDOW_DAYS * cat.DAY_MS - 1)
        post_val = rng.gamma(
            VALUE_SHAPE, spec.base_value * spend[pw] * (1 + value_rel[arm[pw]]) / VALUE_SHAPE
        )
        # planted SRM: some assignment rows of an arm never reach the export
        lost_share = np.array(spec.lost or (0.0,) * len(spec.variants))
        kept = rng.random(n) >= lost_share[arm]
        for col, v in zip(
            ("exp", "var", "ut", "unit", "ts"),
            (
                np.full(kept.sum(), spec.experiment_id, dtype=object),
                np.array(spec.variants, dtype=object)[arm[kept]],
                np.full(kept.sum(), spec.unit_type, dtype=object),
                units[kept],
                assigned[kept],
            ),
            strict=True,
        ):
            a_cols[col].append(v)
        ev_unit = np.concatenate([who, pw])
        ev_ts = np.concatenate([pre_ts, post_ts])
        ev_val = np.round(np.concatenate([pre_val, post_val]), 2)
        inside = (ev_ts >= ctx.t0) & (ev_ts < ctx.t_end)  # only a short world loses any
        ev_unit, ev_ts, ev_val = ev_unit[inside], ev_ts[inside], ev_val[inside]
        for col, v in zip(
            ("exp", "unit", "ts", "value"),
            (
                np.full(len(ev_unit), spec.experiment_id, dtype=object),
                units[ev_unit],
                ev_ts,
                ev_val,
            ),
            strict=True,
        ):
            o_cols[col].append(v)
        # truth: expected outcome of every enrolled unit under each arm, averaged
        conv_mean = p_all.mean(axis=0)
        rev_unit = p_all * (1 + EXTRA_ORDERS_MEAN) * spec.base_value * spend[:, None]
        rev_mean = (rev_unit * (1 + value_rel[None, :])).mean(axis=0)
        for j, variant in enumerate(spec.variants):
            arm_rows.append(
                (
                    spec.experiment_id,
                    variant,
                    j == 0,
                    spec.design[j],
                    float(lost_share[j]),
                    int((arm == j).sum()),
                    int(((arm == j) & kept).sum()),
                )
            )
            if j == 0:
                continue
            for metric, means in zip(METRICS, (conv_mean, rev_mean), strict=True):
                truth_rows.append(
                    (
                        spec.experiment_id,
                        spec.unit_type,
                        variant,
                        spec.variants[0],
                        metric,
                        float(means[0]),
                        float(means[j]),
                        float(means[j] - means[0]),
                        float(means[j] / means[0] - 1),
                        spec.is_aa,
                        spec.has_planted_srm,
                    )
                )
    return Experiments(
        frames=_frames(ctx, a_cols, o_cols),
        truth=_table(
            truth_rows,
            "experiment_id unit_type variant control_variant metric true_control_mean "
            "true_variant_mean true_effect true_relative_lift is_aa has_planted_srm",
        ),
        arms=_table(
            arm_rows,
            "experiment_id variant is_control design_share lost_share units_enrolled "
            "units_delivered",
        ),
    )


def _cat(parts: list, dtype=object) -> np.ndarray:
    return np.concatenate(parts) if parts else np.array([], dtype=dtype)


def _frames(ctx: Ctx, a: dict[str, list], o: dict[str, list]) -> list[Frame]:
    a_ts = _cat(a["ts"], np.int64)
    oa = np.argsort(a_ts, kind="stable")
    assignments = Frame.of(
        "experiments",
        "assignments",
        {
            "experiment_id": _cat(a["exp"])[oa],
            "variant": _cat(a["var"])[oa],
            "unit_type": _cat(a["ut"])[oa],
            "unit_id": _cat(a["unit"])[oa],
            "assigned_time": a_ts[oa],
        },
        ctx.day_of(a_ts[oa]),
        duplicates=True,
    )
    o_ts = _cat(o["ts"], np.int64)
    oo = np.argsort(o_ts, kind="stable")
    n = len(o_ts)
    outcomes = Frame.of(
        "experiments",
        "outcomes",
        {
            "event_id": np.array([f"XE{i:010d}" for i in range(1, n + 1)], dtype=object),
            "experiment_id": _cat(o["exp"])[oo],
            "unit_id": _cat(o["unit"])[oo],
            "event_type": np.full(n, "order", dtype=object),
            "event_time": o_ts[oo],
            "value_cny": _cat(o["value"], np.float64)[oo],
        },
        ctx.day_of(o_ts[oo]),
        duplicates=True,
    )
    return [assignments, outcomes]


def _table(rows: list[tuple], names: str) -> pa.Table:
    cols = names.split()
    return pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})


def write_experiment_truth(ex: Experiments, truth_dir: Path) -> None:
    """_truth/experiments.parquet (true effects) and _truth/experiment_arms.parquet (design)."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(ex.truth, truth_dir / "experiments.parquet")
    pq.write_table(ex.arms, truth_dir / "experiment_arms.parquet")
