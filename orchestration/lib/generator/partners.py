"""Partner feeds, delivered weekly: social tags keyed by phone, DMP segments keyed by device."""

from __future__ import annotations

import numpy as np

from . import catalog as cat
from .context import Ctx
from .frame import Frame, dict_array
from .persons import Persons

SOCIAL_PLATFORMS = ("wechat", "douyin", "weibo")
TAGS = ("mothers_group_active", "gadget_enthusiast", "running", "beauty_lover", "student")
SEGMENTS = ("new_parent", "formula_brand_pref", "premium_beauty", "sports_fan", "value_seeker")


def _weekly(ctx: Ctx, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A random week per row; the file lands on the week's last day."""
    weeks = max(1, (ctx.days + 6) // 7)
    w = rng.integers(0, weeks, n)
    return w, np.minimum(w * 7 + 6, ctx.days - 1)


def build_social(ctx: Ctx, ps: Persons) -> tuple[Frame, dict[str, np.ndarray]]:
    rng = ctx.rng("social")
    a = ps.affinity
    ci = cat.CAT_INDEX
    probs = np.stack(
        [
            np.where(ps.has_baby, np.where(ps.female, 0.6, 0.08), 0.01),
            np.where(a[:, ci["electronics"]] > 0.25, 0.6, 0.02),
            np.where(a[:, ci["running_gear"]] > 0.25, 0.6, 0.02),
            np.where(a[:, ci["cosmetics"]] > 0.25, 0.6, 0.02),
            np.where(ps.age <= 22, 0.7, 0.01),
        ],
        axis=1,
    )
    person, tag = np.nonzero(rng.random(probs.shape) < probs)
    again = rng.random(len(person)) < 0.3  # refreshed in a second week
    person = np.concatenate([person, person[again]])
    tag = np.concatenate([tag, tag[again]])
    n = len(person)
    week, day = _weekly(ctx, rng, n)
    obs = ctx.t0 + week * 7 * cat.DAY_MS + (rng.random(n) * 7 * cat.DAY_MS).astype(np.int64)
    obs = np.minimum(obs, ctx.t0 + (day + 1) * cat.DAY_MS - 60_000)
    plat = np.where(
        tag == 0, rng.choice(3, n, p=[0.8, 0.15, 0.05]), rng.choice(3, n, p=[0.4, 0.45, 0.15])
    )
    conf = np.round(rng.uniform(0.5, 0.99, n), 2)
    o = np.lexsort((tag, person, obs, day))
    person, tag, obs, day, plat, conf = (x[o] for x in (person, tag, obs, day, plat, conf))
    frame = Frame.of(
        "social",
        "tags",
        {
            "platform": dict_array(plat, SOCIAL_PLATFORMS),
            "phone": ps.phone[person],
            "tag": dict_array(tag, TAGS),
            "confidence": conf,
            "observed_time": obs,
        },
        day,
        late=False,
    )
    truth = {"person_id": ps.person_id[person], "tag": np.array(TAGS, dtype=object)[tag]}
    return frame, truth


def build_dmp(ctx: Ctx, ps: Persons) -> Frame:
    rng = ctx.rng("dmp")
    a = ps.affinity
    ci = cat.CAT_INDEX
    dp = ps.dev_person
    probs = np.stack(
        [
            np.where(ps.has_baby[dp], 0.7, 0.02),
            np.where(ps.has_baby[dp] & (a[dp, ci["infant_formula"]] > 0.1), 0.5, 0.0),
            np.where((a[dp, ci["cosmetics"]] > 0.2) & (ps.premium[dp] > 0.6), 0.6, 0.01),
            np.where(a[dp, ci["running_gear"]] > 0.2, 0.5, 0.01),
            np.where(ps.premium[dp] < 0.3, 0.3, 0.01),
        ],
        axis=1,
    )
    dev, seg = np.nonzero(rng.random(probs.shape) < probs)
    n = len(dev)
    week, day = _weekly(ctx, rng, n)
    start = np.datetime64(ctx.start) + (week * 7).astype("timedelta64[D]")
    valid_to = np.datetime_as_string(start + np.timedelta64(90, "D")).astype(object)
    valid_to[rng.random(n) < 0.5] = None
    o = np.lexsort((seg, dev, day))
    dev, seg, day, start, valid_to = (x[o] for x in (dev, seg, day, start, valid_to))
    score = np.round(rng.uniform(0.3, 1.0, n), 3)
    return Frame.of(
        "dmp",
        "segments",
        {
            "device_id": ps.dev_id[dev],
            "segment_code": dict_array(seg, SEGMENTS),
            "score": score,
            "valid_from": np.datetime_as_string(start).astype(object),
            "valid_to": valid_to,
        },
        day,
        late=False,
    )
