"""Property tests: any bytes delivered as any entity's file land without an exception, and every
line is accounted for: lines = rows landed + rows rejected, in the report and in the tables."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib.contract import ENTITIES
from orchestration.lib.landing import land_source

# Pieces that steer random content into the interesting parser branches.
PIECES = [
    ",",
    '"',
    '""',
    "\r",
    "\n",
    "\r\n",
    "\t",
    " ",
    "\x00",
    "{",
    "}",
    "[",
    "]",
    ":",
    "null",
    "true",
    "1.50",
    "NaN",
    "\\u0000",
    "\\ud800",
    '"a":',
    '"event_id":',
    "\ufeff",
    "广东",
    "é",
    "order_id",
    "ORDER_ID ",
    "user_id",
    "x" * 50,
]
PIECE_BYTES = [p.encode() for p in PIECES] + [b"\xff", b"\xe4\xb8", b"\xd6\xd0", b"\x80"]

line_bytes = st.lists(
    st.one_of(st.sampled_from(PIECE_BYTES), st.binary(max_size=8)), max_size=12
).map(b"".join)
file_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(line_bytes, max_size=12).map(b"\n".join),
)


def _header(entity) -> bytes:
    return ",".join(entity.columns).encode() + b"\n"


def land_bytes(entity, data: bytes, suffix: str):
    tmp = Path(tempfile.mkdtemp(prefix="landing-prop-"))
    path = tmp / "inbox" / entity.source / entity.name / f"f{suffix}"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    conn = duckdb.connect()
    report = land_source(conn, tmp / "inbox", entity.source)
    return conn, report, tmp / "inbox"


def check_accounting(conn, report, entity, inbox: Path) -> None:
    (fr,) = report.files
    assert fr.status in ("landed", "rejected")
    assert fr.lines == fr.rows_landed + fr.rows_rejected
    landed = conn.execute(f"SELECT count(*) FROM raw.{entity.raw_table}").fetchone()[0]
    rejected = conn.execute("SELECT count(*) FROM raw._rejects").fetchone()[0]
    assert (landed, rejected) == (fr.rows_landed, fr.rows_rejected)
    ledger = conn.execute(
        "SELECT lines, rows_landed, rows_rejected FROM raw._file_ledger"
    ).fetchall()
    assert ledger == [(fr.lines, fr.rows_landed, fr.rows_rejected)]
    # line numbers are distinct across rows and rejects
    numbers = conn.execute(
        f"SELECT _line_number FROM raw.{entity.raw_table} "
        "UNION ALL SELECT line_number FROM raw._rejects"
    ).fetchall()
    assert len(numbers) == len(set(numbers))
    before = conn.execute("SELECT count(*) FROM raw._file_deliveries").fetchone()
    again = land_source(conn, inbox, entity.source)  # landing twice = landing once
    assert [f.status for f in again.files] == ["seen"]
    assert conn.execute("SELECT count(*) FROM raw._file_deliveries").fetchone() == before
    assert conn.execute(f"SELECT count(*) FROM raw.{entity.raw_table}").fetchone() == (landed,)


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(entity=st.sampled_from(ENTITIES), body=file_bytes, with_header=st.booleans())
def test_any_bytes_as_entity_file(entity, body, with_header):
    data = (_header(entity) if with_header and entity.format == "csv" else b"") + body
    conn, report, inbox = land_bytes(entity, data, f".{entity.format}")
    check_accounting(conn, report, entity, inbox)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entity=st.sampled_from(ENTITIES),
    body=file_bytes,
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=200)),
)
def test_any_bytes_gzipped_or_cut(entity, body, cut):
    data = gzip.compress(_header(entity) + body)
    if cut is not None:
        data = data[: min(cut, len(data) - 1)]
    conn, report, inbox = land_bytes(entity, data, f".{entity.format}.gz")
    check_accounting(conn, report, entity, inbox)
    if cut is not None:
        assert report.files[0].status == "rejected"
