"""The inbox contract in code: every source entity, its file format and its columns.

Shared by the generator (what it writes), landing (what it accepts) and tests. The prose version,
with meanings and allowed values, is docs/input_contract.md; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    format: str  # "csv" or "jsonl"
    columns: tuple[str, ...]
    required: frozenset[str]
    pii: frozenset[str] = frozenset()

    @property
    def raw_table(self) -> str:
        return f"{self.source}_{self.name}"

    @property
    def key(self) -> str:
        return f"{self.source}/{self.name}"


def _e(source, name, fmt, columns, required, pii=()):
    cols = tuple(columns.split())
    req = frozenset(required.split())
    assert req <= set(cols), (source, name, req - set(cols))
    return Entity(source, name, fmt, cols, req, frozenset(pii))


ENTITIES: tuple[Entity, ...] = (
    _e(
        "app",
        "events",
        "jsonl",
        "event_id event_type event_time user_id device_id openid platform channel session_id sku "
        "category price_cny quantity dwell_ms search_query stock_status error_code order_id",
        "event_id event_type event_time device_id",
    ),
    _e(
        "shop",
        "orders",
        "csv",
        "order_id user_id device_id order_time status channel platform region receiver_phone "
        "items_amount_cny discount_cny coupon_cny shipping_fee_cny pay_amount_cny",
        "order_id user_id order_time status items_amount_cny pay_amount_cny",
        pii=("receiver_phone",),
    ),
    _e(
        "shop",
        "order_items",
        "csv",
        "order_id line_no sku category brand quantity unit_price_cny discount_cny",
        "order_id line_no sku category quantity unit_price_cny",
    ),
    _e(
        "shop",
        "payments",
        "csv",
        "payment_id order_id paid_time method amount_cny status",
        "payment_id order_id paid_time amount_cny",
    ),
    _e(
        "shop",
        "refunds",
        "csv",
        "refund_id order_id sku refund_type amount_cny requested_time completed_time reason",
        "refund_id order_id amount_cny requested_time",
    ),
    _e(
        "membership",
        "members",
        "csv",
        "member_id card_no user_id phone email national_id gender birth_date register_time "
        "register_channel register_store_id region",
        "member_id card_no register_time",
        pii=("phone", "email", "national_id"),
    ),
    _e(
        "membership",
        "points_ledger",
        "csv",
        "entry_id member_id points reason occurred_time order_id",
        "entry_id member_id points occurred_time",
    ),
    _e(
        "membership",
        "level_changes",
        "csv",
        "change_id member_id from_level to_level changed_time",
        "change_id member_id to_level changed_time",
    ),
    _e(
        "pos",
        "receipts",
        "csv",
        "receipt_id store_id receipt_time member_card_no phone total_cny discount_cny "
        "payment_method assistant_id",
        "receipt_id store_id receipt_time total_cny",
        pii=("phone",),
    ),
    _e(
        "pos",
        "receipt_lines",
        "csv",
        "receipt_id line_no sku category brand quantity unit_price_cny discount_cny",
        "receipt_id line_no sku category quantity unit_price_cny",
    ),
    _e(
        "pos",
        "footfall",
        "csv",
        "store_id sensor_id hour_start entries exits",
        "store_id sensor_id hour_start entries",
    ),
    _e(
        "pos",
        "assistant_interactions",
        "csv",
        "interaction_id store_id assistant_id interaction_time member_card_no phone "
        "interaction_type duration_s",
        "interaction_id store_id assistant_id interaction_time",
        pii=("phone",),
    ),
    _e(
        "logistics",
        "shipments",
        "csv",
        "shipment_id order_id carrier region receiver_phone promised_time shipped_time "
        "delivered_time preferred_slot",
        "shipment_id order_id",
        pii=("receiver_phone",),
    ),
    _e(
        "social",
        "tags",
        "jsonl",
        "platform phone tag confidence observed_time",
        "platform phone tag observed_time",
        pii=("phone",),
    ),
    _e(
        "dmp",
        "segments",
        "csv",
        "device_id segment_code score valid_from valid_to",
        "device_id segment_code valid_from",
    ),
    _e(
        "community",
        "groups",
        "csv",
        "group_id group_name theme created_time",
        "group_id theme created_time",
    ),
    _e(
        "community",
        "group_members",
        "csv",
        "group_id user_id openid joined_time",
        "group_id user_id joined_time",
    ),
    _e(
        "community",
        "group_messages_daily",
        "csv",
        "group_id message_date message_count",
        "group_id message_date message_count",
    ),
    _e(
        "live",
        "sessions",
        "csv",
        "session_id title category host start_time planned_minutes",
        "session_id category start_time",
    ),
    _e(
        "live",
        "attendance",
        "csv",
        "session_id user_id openid joined_time watch_seconds",
        "session_id joined_time watch_seconds",
    ),
    # Measurement (issue 11): recommendation report and click log, ad spend, NPS surveys.
    _e(
        "recs",
        "impressions",
        "csv",
        "impression_date sku slot platform impressions clicks",
        "impression_date sku slot platform impressions clicks",
    ),
    _e(
        "recs",
        "clicks",
        "csv",
        "click_id click_time user_id device_id sku slot platform",
        "click_id click_time user_id sku slot",
    ),
    _e("ads", "spend_daily", "csv", "spend_date channel spend_cny", "spend_date channel spend_cny"),
    _e(
        "survey",
        "nps_responses",
        "csv",
        "response_id user_id platform score response_time",
        "response_id score response_time",
    ),
    # Experiment exports (A/B tests): who was assigned to which variant, and what they did.
    # The unit is a user, device or member id, none of them personal data here (see
    # docs/measurement/experiments.md).
    _e(
        "experiments",
        "assignments",
        "csv",
        "experiment_id variant unit_type unit_id assigned_time",
        "experiment_id variant unit_id assigned_time",
    ),
    _e(
        "experiments",
        "outcomes",
        "csv",
        "event_id experiment_id unit_id event_type event_time value_cny",
        "event_id experiment_id unit_id event_type event_time",
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(e.source for e in ENTITIES))

# Columns every raw table carries besides the declared ones (see docs/input_contract.md).
RAW_METADATA_COLUMNS: tuple[str, ...] = (
    "_extra",
    "_source_file",
    "_file_sha256",
    "_line_number",
    "_loaded_at",
)
RAW_SCHEMA = "raw"


def entity(source: str, name: str) -> Entity:
    for e in ENTITIES:
        if e.source == source and e.name == name:
            return e
    raise KeyError(f"{source}/{name} is not in the inbox contract")


def entities_of(source: str) -> tuple[Entity, ...]:
    return tuple(e for e in ENTITIES if e.source == source)
