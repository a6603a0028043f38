"""A feed before it becomes files: contract columns as arrays plus the delivery day per row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from orchestration.lib.contract import Entity, entity

NULL_TS = np.iinfo(np.int64).min  # null marker in int64 timestamp arrays

TIMESTAMP_COLUMNS = frozenset(
    {
        "event_time",
        "order_time",
        "paid_time",
        "requested_time",
        "completed_time",
        "register_time",
        "occurred_time",
        "changed_time",
        "receipt_time",
        "hour_start",
        "interaction_time",
        "promised_time",
        "shipped_time",
        "delivered_time",
        "observed_time",
        "created_time",
        "joined_time",
        "start_time",
        "click_time",
        "response_time",
        "assigned_time",
    }
)
PHONE_COLUMNS = frozenset({"phone", "receiver_phone"})
# Numeric column that receives an unparseable value ('abc') in a malformed CSV line.
BAD_NUMBER_COLUMN = {
    "shop/orders": "pay_amount_cny",
    "shop/order_items": "unit_price_cny",
    "shop/payments": "amount_cny",
    "shop/refunds": "amount_cny",
    "membership/points_ledger": "points",
    "pos/receipts": "total_cny",
    "pos/receipt_lines": "unit_price_cny",
    "pos/footfall": "entries",
    "pos/assistant_interactions": "duration_s",
    "dmp/segments": "score",
    "community/group_messages_daily": "message_count",
    "live/attendance": "watch_seconds",
    "recs/impressions": "impressions",
    "ads/spend_daily": "spend_cny",
    "survey/nps_responses": "score",
    "experiments/outcomes": "value_cny",
}


@dataclass
class Frame:
    """Columns are numpy arrays (numeric, object str/None, int64 ms for timestamps) or Arrow."""

    entity: Entity
    cols: dict[str, np.ndarray | pa.Array]
    day: np.ndarray
    local_offset_ms: np.ndarray | None = None  # per-row zone offset: timestamps are store-local
    duplicates: bool = False  # eligible for re-sent duplicate rows
    late: bool = True  # eligible for late delivery
    sql: dict[str, str] = field(default_factory=dict)  # column -> SQL rendering of an int id ({})
    meta: dict = field(default_factory=dict)

    @classmethod
    def of(cls, source: str, name: str, cols: dict, day: np.ndarray, **kw) -> Frame:
        ent = entity(source, name)
        unknown = set(cols) - set(ent.columns)
        assert not unknown, (ent.key, unknown)
        return cls(ent, cols, np.asarray(day, dtype=np.int64), **kw)

    def __len__(self) -> int:
        return len(self.day)

    @property
    def ts_columns(self) -> list[str]:
        return [c for c in self.entity.columns if c in TIMESTAMP_COLUMNS and c in self.cols]


def dict_array(
    indices: np.ndarray, values: np.ndarray | list, mask: np.ndarray | None = None
) -> pa.Array:
    """Strings by index into a small vocabulary, without materialising Python strings."""
    voc = pa.array(list(values), type=pa.string())
    idx = pa.array(np.asarray(indices, dtype=np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(idx, voc)


def id_sql(prefix: str, width: int) -> str:
    """SQL rendering of an integer id column as <prefix><zero-padded number>."""
    return f"'{prefix}' || lpad(CAST({{}} AS VARCHAR), {width}, '0')"


def take(col: np.ndarray | pa.Array, idx: np.ndarray) -> np.ndarray | pa.Array:
    if isinstance(col, np.ndarray):
        return col[idx]
    return col.take(pa.array(idx))


def starts(counts: np.ndarray) -> np.ndarray:
    """Offset of each group's first row in a flat table of groups of `counts` rows.

    Same values as concatenate([[0], cumsum(counts)[:-1]]) but empty for no groups (that form
    gives [0], one offset too many, which breaks indexing in tiny worlds)."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.cumsum(counts) - counts


def group_sum(group: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Float sum of `weights` per group 0..n-1 (np.bincount, but float64 even with no rows:
    bincount ignores the weights of an empty input and returns integer zeros)."""
    return np.bincount(group, weights, minlength=n).astype(np.float64, copy=False)
