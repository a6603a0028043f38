"""True persons: demographics, behaviour parameters and every identifier they carry."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from . import catalog as cat
from .context import Ctx
from .frame import starts

N_TABLET_STORES = 3
N_COUNTER_PHONE_STORES = 3


@dataclass
class Persons:
    n: int
    person_id: np.ndarray  # object
    female: np.ndarray  # bool
    birth_date: np.ndarray  # datetime64[D]
    age: np.ndarray
    region: np.ndarray  # index into ctx.regions
    online: np.ndarray  # bool
    offline: np.ndarray  # bool
    acq_channel: np.ndarray  # index into ACQ_CHANNELS
    platform: np.ndarray  # primary device platform index
    acq_day: np.ndarray  # first active day (negative = before the window)
    churn_day: np.ndarray  # day after which the person stops buying (days = never)
    churned: np.ndarray
    rate: np.ndarray  # gamma-distributed non-cyclic purchases per month
    online_share: np.ndarray
    home_store: np.ndarray  # store index, -1 = none
    slot: np.ndarray  # preferred delivery slot index
    premium: np.ndarray  # 0..1 price preference
    affinity: np.ndarray  # [n, N_CAT] category weights
    pref_brand: np.ndarray  # [n, N_CAT] favourite brand per category
    has_baby: np.ndarray
    pad_user: np.ndarray
    is_member: np.ndarray
    member_pre: np.ndarray  # bool: member registered before the window start
    account_pre: np.ndarray  # bool: app account (user_id) created before the window start
    phone: np.ndarray  # object, 11 digits
    email: np.ndarray  # object or None (lower case)
    user_id: np.ndarray  # object or None
    openid: np.ndarray  # object or None
    member_id: np.ndarray  # object or None
    card_no: np.ndarray  # object or None
    national_id: np.ndarray  # object or None
    dev_person: np.ndarray  # flat device table: owner person index
    dev_id: np.ndarray  # object
    dev_platform: np.ndarray  # platform index
    dev_first: np.ndarray  # first device row per person
    dev_count: np.ndarray
    tablet_ids: np.ndarray  # shared in-store tablet device ids (trap), by store index
    tablet_store: np.ndarray
    counter_phones: np.ndarray  # store counter phones (trap)
    counter_store: np.ndarray
    base: int = 0  # global index of person 0 (a slice of a larger world starts above 0)

    @property
    def has_openid(self) -> np.ndarray:
        return np.array([x is not None for x in self.openid])

    def slice(self, a: int, b: int) -> Persons:
        """Persons a..b-1 with their devices; the shared traps (tablets, counter phones) stay."""
        d0 = int(self.dev_first[a]) if a < self.n else len(self.dev_id)
        d1 = int(self.dev_first[b]) if b < self.n else len(self.dev_id)
        kw = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in _DEVICE_FIELDS:
                v = v[d0:d1]
            elif f.name not in _WORLD_FIELDS:
                v = v[a:b]
            kw[f.name] = v
        kw.update(n=b - a, base=self.base + a, dev_person=kw["dev_person"] - a)
        kw["dev_first"] = kw["dev_first"] - d0
        return Persons(**kw)


_DEVICE_FIELDS = frozenset({"dev_person", "dev_id", "dev_platform"})
_WORLD_FIELDS = frozenset(
    {"n", "base", "tablet_ids", "tablet_store", "counter_phones", "counter_store"}
)


def unique_phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """n distinct 11-digit mainland mobile numbers as strings."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.05) + 16
        cand = rng.choice(cat.PHONE_PREFIXES, k) * 100_000_000 + rng.integers(0, 100_000_000, k)
        allc = np.concatenate([out, cand])
        _, first = np.unique(allc, return_index=True)
        out = allc[np.sort(first)]
    return np.array([str(x) for x in out[:n]], dtype=object)


def national_ids(
    rng: np.random.Generator, region_codes: np.ndarray, birth: np.ndarray, female: np.ndarray
) -> np.ndarray:
    """18-character resident ID numbers with a valid ISO 7064 MOD 11-2 check character."""
    n = len(birth)
    area = np.array([int(c[:2]) * 10000 + 102 for c in region_codes], dtype=np.int64)
    ymd = np.array([int(str(d).replace("-", "")) for d in birth], dtype=np.int64)
    seq = rng.integers(0, 500, n) * 2 + np.where(female, 0, 1)  # odd = male
    body = area * 10**11 + ymd * 1000 + seq
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
    return np.array([f"{b:017d}{c}" for b, c in zip(body, check, strict=True)], dtype=object)


def _hex_ids(rng: np.random.Generator, n: int, prefix: str, width: int) -> np.ndarray:
    a = rng.integers(0, 2**62, n, dtype=np.int64)
    b = rng.integers(0, 2**62, n, dtype=np.int64)
    ids = [f"{prefix}{x:016x}{y:016x}"[: len(prefix) + width] for x, y in zip(a, b, strict=True)]
    return np.array(ids, dtype=object)


def build_persons(ctx: Ctx) -> Persons:
    rng = ctx.rng("persons")
    n, days = ctx.customers, ctx.days
    female = rng.random(n) < 0.56
    age = np.clip(rng.normal(33, 9, n), 16, 65).astype(int)
    start64 = np.datetime64(ctx.start)
    birth = start64 - (age * 365.25 + rng.integers(0, 365, n)).astype("timedelta64[D]")

    rw = np.array([cat.REGION_WEIGHTS.get(r.code, 1.0) for r in ctx.regions])
    region = rng.choice(len(ctx.regions), n, p=rw / rw.sum())

    kind = rng.choice(3, n, p=[0.55, 0.30, 0.15])  # online only, both, offline only
    online, offline = kind != 2, kind != 0
    store_region = np.array([r.code for r in ctx.regions])
    store_prov = np.array(
        [int(np.flatnonzero(store_region == s.region_code)[0]) for s in ctx.stores]
    )
    home_store = np.full(n, -1)
    idx = np.flatnonzero(offline)
    home_store[idx] = rng.integers(0, len(ctx.stores), len(idx))
    region[idx] = store_prov[home_store[idx]]  # offline shoppers live near their store

    acq = rng.choice(4, n, p=[0.3, 0.3, 0.15, 0.25])
    acq[kind == 2] = 4
    acq[(kind == 1) & (rng.random(n) < 0.3)] = 4
    # Primary platform follows the acquisition channel.
    u = rng.random(n)
    ios_share = np.where(u < 0.45, 0, 1)
    platform = np.select(
        [acq == 1, acq == 2, acq == 3],
        [np.where(rng.random(n) < 0.8, 2, ios_share), np.where(u < 0.6, 3, ios_share), ios_share],
        ios_share,
    )

    acq_day = np.where(rng.random(n) < 0.6, -rng.integers(1, 900, n), rng.integers(0, days, n))
    churned = rng.random(n) < 0.35
    lo = np.maximum(acq_day, 0)
    churn_day = np.where(churned, lo + (rng.random(n) * (days - lo)).astype(int), days)
    churn_day = np.maximum(churn_day, lo + 1)
    churned = churned & (churn_day < days)

    slot = rng.choice(4, n, p=[0.25, 0.35, 0.25, 0.15])
    rate = rng.gamma(0.6, 0.45, n) * np.where(slot == 2, 1.3, 1.0)  # weekend stay-home buy more
    online_share = np.where(kind == 0, 1.0, np.where(kind == 2, 0.0, rng.beta(3, 2, n)))
    premium = np.clip(rng.beta(2, 2, n) + np.where(platform == 0, 0.12, -0.05), 0, 1)

    base = np.array([[c.weight_f for c in cat.CATEGORIES], [c.weight_m for c in cat.CATEGORIES]])
    aff = base[np.where(female, 0, 1)] * rng.gamma(0.6, 1.0, (n, cat.N_CAT))
    has_baby = (age >= 23) & (age <= 40) & (rng.random(n) < np.where(female, 0.35, 0.2))
    pad_user = female & (age <= 50) & (rng.random(n) < 0.45)
    i_f, i_d, i_p = (cat.CAT_INDEX[k] for k in ("infant_formula", "baby_diapers", "sanitary_pads"))
    aff[~has_baby, i_f] *= 0.02
    aff[~has_baby, i_d] *= 0.02
    aff[has_baby, i_d] += 1.5
    aff[~pad_user, i_p] *= 0.05
    aff /= aff.sum(axis=1, keepdims=True)
    pref_brand = (rng.random((n, cat.N_CAT)) * ctx.catalog.n_brands).astype(int)

    is_member = rng.random(n) < np.select([kind == 0, kind == 1], [0.45, 0.8], 0.6)

    # Identifiers.
    n_trap = N_COUNTER_PHONE_STORES
    phones = unique_phones(rng, n + n_trap)
    phone, counter_phones = phones[:n], phones[n:]
    pid = np.array([f"P{i + 1:07d}" for i in range(n)], dtype=object)
    has_email = rng.random(n) < np.where(is_member, 0.5, 0.3)
    dom = rng.choice(len(cat.EMAIL_DOMAINS), n)
    email = np.array(
        [
            f"user{i + 1}.{int(v):04d}@{cat.EMAIL_DOMAINS[d]}" if e else None
            for i, (v, d, e) in enumerate(
                zip(rng.integers(0, 9999, n), dom, has_email, strict=True)
            )
        ],
        dtype=object,
    )
    user_id = np.array([f"U{i + 1:08d}" if o else None for i, o in enumerate(online)], dtype=object)
    dev_count = rng.choice([1, 2, 3], n, p=[0.55, 0.33, 0.12])
    uses_mp = online & ((platform == 2) | ((rng.random(n) < 0.2) & (dev_count >= 2)))
    oid = _hex_ids(rng, n, "o", 27)
    openid = np.where(uses_mp, oid, None)
    member_id = np.where(
        is_member, np.array([f"M{i + 1:09d}" for i in range(n)], dtype=object), None
    )
    cards = rng.permutation(n) + 62_000_000_000  # unique 11-digit card numbers
    card_no = np.where(is_member, np.array([f"8{c}" for c in cards], dtype=object), None)
    reg_codes = np.array([ctx.regions[r].code for r in region], dtype=object)
    nid_all = national_ids(rng, reg_codes, birth, female)
    national_id = np.where(is_member & (rng.random(n) < 0.3), nid_all, None)

    dev_person = np.repeat(np.arange(n), dev_count)
    dev_first = starts(dev_count)
    k = np.arange(len(dev_person)) - dev_first[dev_person]
    dev_platform = np.where(k == 0, platform[dev_person], rng.choice([0, 1, 3], len(dev_person)))
    # A mini-program user's first non-primary device is where WeChat runs.
    dev_platform = np.where((k == 1) & uses_mp[dev_person], 2, dev_platform)
    ids = _hex_ids(rng, len(dev_person) + N_TABLET_STORES, "", 16)
    dev_id = ids[: len(dev_person)]
    tablet_ids = ids[len(dev_person) :]
    stores_pick = rng.choice(len(ctx.stores), N_TABLET_STORES + n_trap, replace=False)
    # Account history before the window (drawn last, so the draws above are unchanged). Most
    # members first active before the window registered before it (membership uses this flag for
    # register_time). An online person's acquisition (its day, channel and device) is the app
    # sign-up, so an online person acquired before the window already held the account (user_id)
    # when the window opens; members registered before it did too. online.py starts such
    # pre-window accounts logged in on their personal devices.
    member_pre = is_member & (acq_day < 0) & (rng.random(n) < 0.85)
    account_pre = online & ((acq_day < 0) | member_pre)
    return Persons(
        n=n,
        person_id=pid,
        female=female,
        birth_date=birth,
        age=age,
        region=region,
        online=online,
        offline=offline,
        acq_channel=acq,
        platform=platform,
        acq_day=acq_day,
        churn_day=churn_day,
        churned=churned,
        rate=rate,
        online_share=online_share,
        home_store=home_store,
        slot=slot,
        premium=premium,
        affinity=aff,
        pref_brand=pref_brand,
        has_baby=has_baby,
        pad_user=pad_user,
        is_member=is_member,
        member_pre=member_pre,
        account_pre=account_pre,
        phone=phone,
        email=email,
        user_id=user_id,
        openid=openid,
        member_id=member_id,
        card_no=card_no,
        national_id=national_id,
        dev_person=dev_person,
        dev_id=dev_id,
        dev_platform=dev_platform,
        dev_first=dev_first,
        dev_count=dev_count,
        tablet_ids=tablet_ids,
        tablet_store=stores_pick[:N_TABLET_STORES],
        counter_phones=counter_phones,
        counter_store=stores_pick[N_TABLET_STORES:],
    )
