"""The private-domain feeds of the generator (community groups, members, daily message counts,
live sessions, attendance): deterministic per seed, shaped as the contract says, consistent
with the planted truth, and the same world (groups, sessions) whatever the customer chunking."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest

from orchestration.lib.generator import generate
from orchestration.lib.generator.community import (
    LOOKAHEAD_DAYS,
    THEMES,
    TIER_MEAN_RANGE,
    TIERS,
)
from tests.unit.test_generator import data_files, records, sha, truth

START = dt.date(2026, 3, 1)
CUSTOMERS, DAYS = 600, 40
KEYS = (
    "community/groups",
    "community/group_members",
    "community/group_messages_daily",
    "live/sessions",
    "live/attendance",
)


def _gen(out: Path, seed: int = 5, dirt: float = 0.0, chunk: int = 100_000) -> Path:
    generate(
        CUSTOMERS, DAYS, START, seed, out, dirt_rate=dirt, progress=False, chunk_customers=chunk
    )
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return _gen(tmp_path_factory.mktemp("community_clean"))


def _hashes(out: Path, key: str) -> dict[str, str]:
    return {p.name: sha(p) for p in data_files(out, key)}


def test_deterministic_per_seed(clean, tmp_path):
    again = _gen(tmp_path / "again")
    other = _gen(tmp_path / "other", seed=6)
    for key in KEYS:
        assert _hashes(again, key) == _hashes(clean, key), key
    assert any(_hashes(other, key) != _hashes(clean, key) for key in KEYS)


def test_messages_one_row_per_group_and_day_since_creation(clean):
    groups, bad = records(clean, "community/groups")
    assert bad == 0 and len(groups) >= 2 * len(THEMES)
    assert {g["theme"] for g in groups} == set(THEMES)
    assert len({g["group_id"] for g in groups}) == len(groups)
    tg = {t["group_id"]: t for t in truth(clean, "community_groups")}
    assert set(tg) == {g["group_id"] for g in groups}
    msgs, _ = records(clean, "community/group_messages_daily")
    per_group = defaultdict(list)
    for m in msgs:
        per_group[m["group_id"]].append((m["message_date"], int(m["message_count"])))
    for gid, t in tg.items():
        first = max(t["created_date"], START)
        want = [
            (first + dt.timedelta(days=i)).isoformat() for i in range((START - first).days + DAYS)
        ]
        got = sorted(per_group[gid])
        assert [d for d, _ in got] == want, gid
        # The observed mean sits inside the planted tier's range (Poisson noise allowed).
        lo, hi = TIER_MEAN_RANGE[TIERS.index(t["true_tier"])]
        mean = sum(n for _, n in got) / len(got)
        assert lo * 0.6 - 1 <= mean <= hi * 1.4 + 1, (gid, t["true_tier"], mean)


def test_members_and_attendance_reference_the_world(clean):
    groups = {g["group_id"] for g in records(clean, "community/groups")[0]}
    persons = {p["user_id"]: p for p in truth(clean, "persons") if p["user_id"]}
    members, _ = records(clean, "community/group_members")
    assert members and all(m["group_id"] in groups for m in members)
    assert all(m["user_id"] in persons for m in members)
    assert len({(m["group_id"], m["user_id"]) for m in members}) == len(members)
    tm = truth(clean, "community_members")
    assert len(tm) == len(members)

    sessions = {s["session_id"]: s for s in records(clean, "live/sessions")[0]}
    last_day = START + dt.timedelta(days=DAYS - 1)
    starts = [dt.date.fromisoformat(s["start_time"][:10]) for s in sessions.values()]
    assert max(starts) > last_day  # upcoming sessions are announced
    assert max(starts) <= last_day + dt.timedelta(days=LOOKAHEAD_DAYS)
    assert {s["start_time"][11:16] for s in sessions.values()} <= {"12:00", "15:00", "20:00"}
    attendance, _ = records(clean, "live/attendance")
    assert attendance
    for a in attendance:
        s = sessions[a["session_id"]]
        assert dt.date.fromisoformat(s["start_time"][:10]) <= last_day
        assert a["user_id"] in persons
        assert 0 < int(a["watch_seconds"]) <= int(s["planned_minutes"]) * 60


def test_attendance_follows_true_preferences(clean):
    prefs = {p["user_id"]: p for p in truth(clean, "live_preferences") if p["user_id"]}
    sessions = {s["session_id"]: s for s in records(clean, "live/sessions")[0]}
    attendance, _ = records(clean, "live/attendance")
    match = sum(
        prefs[a["user_id"]]["true_live_category"] == sessions[a["session_id"]]["category"]
        and prefs[a["user_id"]]["true_live_slot_hour"]
        == int(sessions[a["session_id"]]["start_time"][11:13])
        for a in attendance
    )
    assert match / len(attendance) > 0.5
    persons = {p["person_id"]: p for p in truth(clean, "persons")}
    for p in truth(clean, "live_preferences"):
        person = persons[p["person_id"]]
        assert p["true_live_category"] == person["top_category"]


def test_world_entities_do_not_depend_on_chunking(clean, tmp_path):
    chunked = _gen(tmp_path / "chunked", chunk=250)
    for key in ("community/groups", "community/group_messages_daily", "live/sessions"):
        assert _hashes(chunked, key) == _hashes(clean, key), key
    assert truth(chunked, "community_groups") == truth(clean, "community_groups")
    users = [m["user_id"] for m in records(chunked, "community/group_members")[0]]
    assert len(users) > 0
    assert len(truth(chunked, "live_preferences")) == CUSTOMERS


def test_dirt_is_counted(tmp_path):
    dirty = _gen(tmp_path / "dirty", dirt=0.05)
    manifest = json.loads((dirty / "_truth" / "manifest.json").read_text())
    msgs = manifest["entities"]["community/group_messages_daily"]
    assert msgs["dirt"].get("duplicate_row", 0) > 0
    assert msgs["dirt"].get("malformed_number", 0) > 0
    assert msgs["lines_written"] > msgs["rows_clean"]
