"""Static world of the generator: categories, brands, SKUs, regions, stores, channels, rhythms."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from orchestration.lib.settings import PROJECT_ROOT

SEEDS_DIR = PROJECT_ROOT / "seeds"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
SHANGHAI_OFFSET_MS = 8 * HOUR_MS
SKUS_PER_BRAND = 12


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    median_price: float
    sigma: float
    cycle_days: int  # 0 = no repurchase cycle
    weight_f: float  # base affinity for women
    weight_m: float  # base affinity for men
    brands: tuple[str, ...]
    search_terms: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "infant_formula",
        "IF",
        260.0,
        0.25,
        28,
        0.3,
        0.2,
        ("Feihe", "a2", "Aptamil", "Wyeth", "Junlebao"),
        ("奶粉", "infant formula", "a2奶粉"),
    ),
    Category(
        "baby_diapers",
        "BD",
        120.0,
        0.30,
        0,
        0.4,
        0.25,
        ("Pampers", "Huggies", "Merries", "MamyPoko"),
        ("纸尿裤", "diapers"),
    ),
    Category(
        "sanitary_pads",
        "SP",
        45.0,
        0.30,
        35,
        0.6,
        0.0,
        ("Whisper", "Sofy", "Kotex", "ABC"),
        ("卫生巾", "pads"),
    ),
    Category(
        "razors",
        "RZ",
        90.0,
        0.50,
        0,
        0.02,
        0.9,
        ("Gillette", "Philips", "Braun", "Flyco"),
        ("剃须刀", "razor"),
    ),
    Category(
        "cosmetics",
        "CS",
        160.0,
        0.60,
        0,
        1.2,
        0.1,
        ("L'Oreal", "Estee Lauder", "Perfect Diary", "Lancome", "Florasis"),
        ("口红", "lipstick", "面霜", "卸妆"),
    ),
    Category(
        "running_gear",
        "RG",
        380.0,
        0.50,
        0,
        0.35,
        0.8,
        ("ASICS", "Nike", "Li-Ning", "Garmin", "Anta"),
        ("跑鞋", "running shoes", "garmin"),
    ),
    Category(
        "electronics",
        "EL",
        900.0,
        0.80,
        0,
        0.25,
        0.8,
        ("Apple", "Xiaomi", "Huawei", "Anker"),
        ("耳机", "phone", "充电宝", "tablet"),
    ),
    Category(
        "snacks",
        "SN",
        35.0,
        0.40,
        0,
        0.8,
        0.6,
        ("Three Squirrels", "Bestore", "Oreo"),
        ("零食", "坚果", "snacks"),
    ),
    Category(
        "apparel",
        "AP",
        150.0,
        0.50,
        0,
        0.9,
        0.6,
        ("Uniqlo", "Anta", "Bosideng", "Semir"),
        ("外套", "t-shirt", "羽绒服"),
    ),
)
CAT_INDEX = {c.name: i for i, c in enumerate(CATEGORIES)}
N_CAT = len(CATEGORIES)

ACQ_CHANNELS = ("douyin", "wechat_mp", "official_site", "app_store", "offline")
PLATFORMS = ("ios", "android", "miniprogram", "web")
SLOTS = ("weekday_daytime", "weekday_evening", "weekend", "any")
CARRIERS = ("SF", "JD", "ZTO", "YTO", "EMS")
ORDER_CHANNELS = ("app", "miniprogram", "web", "douyin_shop")
PAY_METHODS = ("alipay", "wechat_pay", "card")
POS_PAY_METHODS = ("wechat_pay", "alipay", "card", "cash")
REFUND_REASONS = ("damaged", "wrong_size", "not_as_described", "changed_mind", "late_delivery")
FRICTION_CODES = ("address_form_error", "payment_timeout", "sms_code_failed")
LEVELS = ("silver", "gold", "diamond")
LEVEL_THRESHOLDS = (0.0, 5000.0, 20000.0)
EVENT_TYPES = ("view", "search", "add_cart", "remove_cart", "checkout_start", "pay", "share")

# Online hour-of-day profile (local time): low at night, lunch bump, evening peak 20-22h.
HOUR_PROFILE_ONLINE = np.array(
    [
        0.6,
        0.3,
        0.2,
        0.1,
        0.1,
        0.2,
        0.5,
        1.0,
        1.5,
        1.8,
        2.0,
        2.2,
        2.8,
        2.6,
        2.0,
        2.0,
        2.2,
        2.4,
        2.8,
        3.6,
        5.5,
        6.5,
        5.8,
        2.5,
    ]
)
# Store hours 10-22 local, afternoon and evening peaks.
HOUR_PROFILE_STORE = np.array(
    [
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        1.0,
        1.4,
        1.8,
        1.6,
        2.0,
        2.2,
        2.0,
        1.8,
        2.0,
        2.6,
        2.8,
        2.0,
        0,
        0,
    ],
    dtype=float,
)
STORE_OPEN_HOURS = np.flatnonzero(HOUR_PROFILE_STORE > 0)


@dataclass(frozen=True)
class Region:
    code: str
    name_zh: str
    short_zh: str
    name_en: str


def load_regions() -> tuple[Region, ...]:
    with open(SEEDS_DIR / "region_codes.csv", encoding="utf-8") as fh:
        return tuple(
            Region(r["region_code"], r["name_zh"], r["short_zh"], r["name_en"])
            for r in csv.DictReader(fh)
        )


# Population weight per province code (the rest get weight 1).
REGION_WEIGHTS = {
    "440000": 9.0,
    "330000": 6.0,
    "320000": 6.0,
    "310000": 6.0,
    "110000": 5.0,
    "370000": 4.0,
    "510000": 4.0,
    "420000": 3.0,
    "410000": 3.0,
    "350000": 3.0,
    "500000": 2.5,
    "120000": 2.0,
    "610000": 2.0,
    "430000": 2.5,
}


@dataclass(frozen=True)
class Store:
    store_id: str
    region_code: str
    timezone: str
    offset_ms: int  # UTC offset of the store's zone (zones used here have no DST)


def load_stores(start: dt.date) -> tuple[Store, ...]:
    with open(SEEDS_DIR / "stores.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ref = dt.datetime.combine(start, dt.time(12))
    out = []
    for r in rows:
        off = ZoneInfo(r["timezone"]).utcoffset(ref)
        assert off is not None
        out.append(
            Store(r["store_id"], r["region_code"], r["timezone"], int(off.total_seconds() * 1000))
        )
    return tuple(out)


@dataclass(frozen=True)
class SkuCatalog:
    code: np.ndarray  # object: SKU code
    cat: np.ndarray  # int: category index
    brand: np.ndarray  # object: brand name
    price: np.ndarray  # float: list price CNY
    cat_offset: np.ndarray  # first SKU index of each category
    n_brands: np.ndarray  # brands per category


def build_catalog(rng: np.random.Generator) -> SkuCatalog:
    """SKUs per category and brand, sorted by price inside each brand (index = premium rank)."""
    codes, cats, brands, prices, offsets = [], [], [], [], []
    for ci, c in enumerate(CATEGORIES):
        offsets.append(len(codes))
        for bi, b in enumerate(c.brands):
            brand_factor = np.exp(rng.normal(0, 0.25))
            p = np.sort(c.median_price * brand_factor * rng.lognormal(0, c.sigma, SKUS_PER_BRAND))
            p = np.maximum(np.round(p) - 0.1, 4.9)
            for k in range(SKUS_PER_BRAND):
                codes.append(f"{c.code}-{bi + 1:02d}{k + 1:03d}")
                cats.append(ci)
                brands.append(b)
                prices.append(p[k])
    return SkuCatalog(
        np.array(codes, dtype=object),
        np.array(cats),
        np.array(brands, dtype=object),
        np.array(prices),
        np.array(offsets),
        np.array([len(c.brands) for c in CATEGORIES]),
    )


def day_weights(start: dt.date, days: int) -> np.ndarray:
    """Relative demand per day: weekly rhythm plus the 618 and Double 11 sale peaks."""
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    w = np.ones(days)
    for i, d in enumerate(dates):
        wd = d.weekday()
        w[i] *= (1.0, 0.95, 1.1, 0.95, 1.1, 1.2, 1.15)[wd]
        if d.month == 11 and 1 <= d.day <= 10:
            w[i] *= 1.5
        if d.month == 11 and d.day == 11:
            w[i] *= 5.0
        if d.month == 6 and 1 <= d.day <= 17:
            w[i] *= 1.4
        if d.month == 6 and d.day == 18:
            w[i] *= 4.0
    return w


def is_sale_day(start: dt.date, days: int) -> np.ndarray:
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    return np.array(
        [(d.month == 11 and d.day <= 11) or (d.month == 6 and d.day <= 18) for d in dates]
    )


PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
        191,
        193,
        195,
        198,
        199,
    ],
    dtype=np.int64,
)
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com")


def local_start_epoch_ms(start: dt.date) -> int:
    """UTC epoch ms of local midnight (Asia/Shanghai) at the start date."""
    epoch = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp()
    return int(epoch * 1000) - SHANGHAI_OFFSET_MS
