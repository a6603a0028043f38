"""Ground truth under <out>/_truth (Parquet): persons, identifiers, dirt, orders, receipts,
events, abandonments and social tags, for tests and for scoring identity resolution."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from . import catalog as cat
from .context import Ctx
from .membership import Membership
from .offline import Offline
from .online import Online
from .persons import Persons


def _e164(phones: np.ndarray) -> np.ndarray:
    return np.array(["+86" + p for p in phones], dtype=object)


def _copy(con: duckdb.DuckDBPyConnection, table: pa.Table, path: Path, select: str = "*") -> None:
    con.register("truth_t", table)
    try:
        con.execute(f"COPY (SELECT {select} FROM truth_t) TO '{path}' (FORMAT parquet)")
    finally:
        con.unregister("truth_t")


def identifiers(ps: Persons, ms: Membership, with_traps: bool = True) -> pa.Table:
    types, values, owners = [], [], []

    def add(kind: str, vals: np.ndarray, who: np.ndarray) -> None:
        keep = np.array([v is not None for v in vals], dtype=bool)
        types.append(np.full(keep.sum(), kind, dtype=object))
        values.append(vals[keep])
        owners.append(who[keep])

    everyone = np.arange(ps.n)
    add("user_id", ps.user_id, everyone)
    add("device_id", ps.dev_id, ps.dev_person)
    add("openid", ps.openid, everyone)
    add("member_id", ps.member_id, everyone)
    add("card_no", ps.card_no, everyone)
    add("phone", _e164(ps.phone), everyone)
    add("email", ps.email, everyone)
    add("email", ms.changed_emails[1], ms.changed_emails[0])
    add("national_id", ps.national_id, everyone)
    id_type = np.concatenate(types)
    id_value = np.concatenate(values)
    person = ps.person_id[np.concatenate(owners)]
    tablets = ps.tablet_ids if with_traps else ps.tablet_ids[:0]
    counters = ps.counter_phones if with_traps else ps.counter_phones[:0]
    n_trap = len(tablets) + len(counters)
    return pa.table(
        {
            "id_type": pa.array(
                np.concatenate(
                    [
                        id_type,
                        ["device_id"] * len(tablets),
                        ["phone"] * len(counters),
                    ]
                ),
                pa.string(),
            ),
            "id_value": pa.array(np.concatenate([id_value, tablets, _e164(counters)]), pa.string()),
            "person_id": pa.array(np.concatenate([person, [None] * n_trap]), pa.string()),
            "is_shared_trap": pa.array(np.r_[np.zeros(len(id_value), bool), np.ones(n_trap, bool)]),
        }
    )


def persons_table(ctx: Ctx, ps: Persons, ms: Membership) -> pa.Table:
    start = np.datetime64(ctx.start)
    cyc = (ps.has_baby * 30.44 / 28 + ps.pad_user * 30.44 / 35) * 0.9
    store_ids = np.array([s.store_id for s in ctx.stores] + [None], dtype=object)
    lv = np.array(list(cat.LEVELS) + [None], dtype=object)
    churn = np.where(
        ps.churned, start + ps.churn_day.astype("timedelta64[D]"), np.datetime64("NaT")
    )
    affinity_top = np.array([c.name for c in cat.CATEGORIES], dtype=object)[
        ps.affinity.argmax(axis=1)
    ]
    return pa.table(
        {
            "person_id": pa.array(ps.person_id, pa.string()),
            "true_gender": pa.array(np.where(ps.female, "F", "M"), pa.string()),
            "birth_date": pa.array(ps.birth_date),
            "region_code": pa.array([ctx.regions[r].code for r in ps.region], pa.string()),
            "is_online": pa.array(ps.online),
            "is_offline": pa.array(ps.offline),
            "shops_both": pa.array(ps.online & ps.offline),
            "acquisition_channel": pa.array(np.array(cat.ACQ_CHANNELS)[ps.acq_channel]),
            "device_platform": pa.array(np.array(cat.PLATFORMS)[ps.platform]),
            "acquired_date": pa.array(start + ps.acq_day.astype("timedelta64[D]")),
            "purchase_rate_per_month": pa.array(np.round(ps.rate + cyc, 4)),
            "noncyclic_rate_per_month": pa.array(np.round(ps.rate, 4)),
            "online_share": pa.array(np.round(ps.online_share, 4)),
            "churned": pa.array(ps.churned),
            "churn_date": pa.array(churn, mask=np.isnat(churn)),
            "is_member": pa.array(ps.is_member),
            "member_id": pa.array(ps.member_id, pa.string()),
            "final_level": pa.array(lv[ms.final_level], pa.string()),
            "home_store_id": pa.array(store_ids[ps.home_store], pa.string()),
            "preferred_slot": pa.array(np.array(cat.SLOTS)[ps.slot]),
            "premium_score": pa.array(np.round(ps.premium, 4)),
            "has_baby": pa.array(ps.has_baby),
            "sanitary_pad_cycle": pa.array(ps.pad_user),
            "top_category": pa.array(affinity_top, pa.string()),
            "user_id": pa.array(ps.user_id, pa.string()),
            "phone_e164": pa.array(_e164(ps.phone), pa.string()),
        }
    )


def _plain(d: dict[str, np.ndarray]) -> pa.Table:
    cols = {}
    for k, v in d.items():
        cols[k] = pa.array(v, pa.string()) if v.dtype == object else pa.array(v)
    return pa.table(cols)


def write_truth(
    con: duckdb.DuckDBPyConnection,
    ctx: Ctx,
    ps: Persons,
    on: Online,
    off: Offline,
    ms: Membership,
    social: dict[str, np.ndarray],
    t: Path,
    with_traps: bool = True,
) -> None:
    """The truth of these persons into folder `t` (the shared traps only `with_traps`)."""
    t.mkdir(parents=True, exist_ok=True)
    _copy(con, persons_table(ctx, ps, ms), t / "persons.parquet")
    _copy(con, identifiers(ps, ms, with_traps), t / "identifiers.parquet")
    _copy(
        con,
        _plain(on.truth["orders"]),
        t / "orders.parquet",
        "* EXCLUDE (order_time_ms), order_time_ms, epoch_ms(order_time_ms) AS order_time_utc",
    )
    rc = dict(off.truth["receipts"])
    _copy(
        con,
        _plain(rc),
        t / "receipts.parquet",
        "'R' || lpad(CAST(receipt_id AS VARCHAR), 10, '0') AS receipt_id, * EXCLUDE "
        "(receipt_id, receipt_time_ms), receipt_time_ms, "
        "epoch_ms(receipt_time_ms) AS receipt_time_utc",
    )
    ev = on.truth["events"]
    _copy(
        con,
        pa.table(
            {
                "event_id": ev["event_id"],
                "person_id": pa.array(ps.person_id, pa.string()).take(
                    pa.array(ev["person_id_idx"])
                ),
                "session_id": ev["session_id"],
                "event_time_ms": ev["event_time_ms"],
                "event_type": pa.DictionaryArray.from_arrays(
                    pa.array(ev["event_type"].astype(np.int32)), pa.array(cat.EVENT_TYPES)
                ),
            }
        ),
        t / "events.parquet",
        "'E' || lpad(CAST(event_id AS VARCHAR), 11, '0') AS event_id, person_id, "
        "'S' || lpad(CAST(session_id AS VARCHAR), 10, '0') AS session_id, "
        "CAST(event_type AS VARCHAR) AS event_type, event_time_ms, "
        "epoch_ms(event_time_ms) AS event_time_utc",
    )
    ab = on.truth["abandonments"]
    _copy(
        con,
        _plain(ab),
        t / "abandonments.parquet",
        "'S' || lpad(CAST(session_id AS VARCHAR), 10, '0') AS session_id, * EXCLUDE (session_id)",
    )
    _copy(con, _plain(social), t / "social_tags.parquet")


def write_dirt_truth(
    con: duckdb.DuckDBPyConnection, t: Path, dirt_rows: list[tuple[str, str, int, int]]
) -> None:
    """dirt.parquet: per entity and kind, how many rows were hit out of how many eligible."""
    t.mkdir(parents=True, exist_ok=True)
    _copy(
        con,
        pa.table(
            {
                "entity": [r[0] for r in dirt_rows],
                "kind": [r[1] for r in dirt_rows],
                "count": pa.array([r[2] for r in dirt_rows], pa.int64()),
                "eligible_rows": pa.array([r[3] for r in dirt_rows], pa.int64()),
            }
        ),
        t / "dirt.parquet",
    )


def merge_truth_parts(con: duckdb.DuckDBPyConnection, t: Path, parts: list[Path]) -> None:
    """Concatenate the per-chunk truth folders into one file per table (streamed), then drop
    the parts."""
    for name in sorted(p.name for p in parts[0].glob("*.parquet")):
        files = ", ".join(f"'{p / name}'" for p in parts)
        select = f"SELECT * FROM read_parquet([{files}])"
        con.execute(f"COPY ({select}) TO '{t / name}' (FORMAT parquet)")
    shutil.rmtree(parts[0].parent)
