"""Landing's fast paths land exactly what the per-line path lands.

Each inbox is landed twice: with the Arrow block path (``loader.FAST_BLOCKS``, the default) and
with every line through the per-line path; raw rows, rejects, ledger and deliveries must be
byte-identical. Further tests pin the pieces (line blocks, UTF-8 check) to the per-line rules,
and the DuckDB SQL parse to the Python parse where the documented number quirk does not apply.
"""

from __future__ import annotations

import gzip
import io
import random
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib.contract import ENTITIES, entities_of
from orchestration.lib.landing import land_source, loader
from orchestration.lib.landing.fast import Utf8Check, block_lines, utf8_valid
from orchestration.lib.landing.lines import (
    LineBlock,
    block_to_batch,
    iter_line_batches,
    iter_line_blocks,
)
from orchestration.lib.landing.parse_csv import CsvParser
from orchestration.lib.landing.parse_jsonl import JsonlParser

NOW = datetime(2026, 6, 18, 12, 0, 0, 123456)
ORDERS = "order_id,user_id,order_time,status,items_amount_cny,pay_amount_cny"
EVENT = (
    '{{"event_id":"e{i}","event_type":"view","event_time":"2026-06-18T20:15:03+08:00",'
    '"device_id":"d{i}","price_cny":129.5,"quantity":1,"category":"美妆","user_id":null}}'
)

# Mixed clean and dirty files, per source: (inbox-relative path, bytes).
CSV_LINES = [ORDERS] + [f"o{i},u{i},2026-06-18 20:15:03,paid,100.00,95.00" for i in range(300)]
MIXED_CSV = "\n".join(
    [
        ORDERS + ",Promo, note ",
        "o1,u1,t,paid,1.50,1.50,P1,x",
        "",
        "   ",
        "\t",
        'o2,"u,2",t,paid,1,1,"P ""2""",y',  # quoted: Python path
        "o3,u3,t,paid,1,1,P3",  # too few fields
        "o4,u4,t,paid,1,1,P4,x,extra",  # too many
        'o5,u5,t,paid,"1',  # quoted newline ...
        '0",5,P5,z',  # ... second half
        "o6,u6,t,paid,1,1,P6,x\r",  # a lone CR line inside an LF file
        "o7,u7,t\r,paid,1,1,P7,x",  # CR inside a line
        "o8,u8,t,paid,1,1,P8,x\r\r",  # two CRs: one stays
        "o9,\x00u9,t,paid,1,1,P9,x",  # NUL byte
        "o10,u10,t,广东,1,1,P10,😀",
        "o11,u11,t,paid,1,1,P11,last line without newline",
    ]
).encode()
CSV_FILES = {
    "shop/orders/clean.csv": ("\n".join(CSV_LINES) + "\n").encode(),
    "shop/orders/bom_crlf.csv": b"\xef\xbb\xbf" + ("\r\n".join(CSV_LINES[:50]) + "\r\n").encode(),
    "shop/orders/mixed.csv": MIXED_CSV,
    "shop/orders/mixed_crlf.csv.gz": gzip.compress(MIXED_CSV.replace(b"\n", b"\r\n")),
    "shop/orders/invalid_utf8.csv": (ORDERS + "\no1,u1,t,paid,1,1\n").encode()
    + b"o2,u\xff2,t,paid,1,1\no3,u3,t,\xe5\xb9\xbf,1,1\n",
    "shop/orders/gbk.csv": (ORDERS + "\no1,用户甲,t,paid,1,1\no2,用户乙,t,paid,1,1\n").encode(
        "gbk"
    ),
    "shop/orders/truncated.csv.gz": gzip.compress("\n".join(CSV_LINES).encode())[:200],
    "shop/orders/empty.csv.gz": b"",
    "shop/orders/header_only.csv": ORDERS.encode(),
    "shop/orders/drift.csv": b"\xef\xbb\xbforder_id,order_time\r\no1,t\r\n\r\no2,t",
    "shop/orders/long_line.csv": (
        ORDERS + "\no1,u1,t,paid,1,1\no2,u2,t,paid,1," + "9" * (1 << 20) + "\no3,u3,t,paid,1,1"
    ).encode(),
    "shop/payments/one_column_blank.csv": b"payment_id\n\n p1 \n\t\np2\n",
    "shop/refunds/wrong.jsonl": b'{"refund_id":"r1"}\n',
}
MIXED_JSONL = "\n".join(
    [
        EVENT.format(i=1),
        '{"event_id":"e2","price_cny":12.50,"quantity":3,"sku":true,"category":{"a":[1.0,"x"]}}',
        '{"Event_ID":"e3"," device_id ":"d3","utm":{"s":1.50},"event_type":"pay"}',
        '{"event_id":"e4","event_id":"e4b","order_id":null}',  # repeated key
        '{"event_id":"e5","search_query":"\\"q\\": \\u5e7f\\u4e1c \\ud83d\\ude00 info"}',
        '{"event_id":"e6","dwell_ms":1e5,"quantity":-0.0,"price_cny":12345678901234567890}',
        '{"event_id":"e7","price_cny":0.123456789012345678}',
        "not json",
        "[1, 2]",
        "",
        "  \t ",
        '{"event_id": NaN}',
        '{"event_id": "e8",}',
        '{"event_id": "\\ud800"}',
        "{}",
        '  {"event_id":"e9"}  \r',
        '{"event_id":"e10","x":1}\r\r',
        '{"event_id":"e11"}',
        '{"event_id": -Infinity}',  # bare NaN / Inf tokens DuckDB accepts: Python path, reject
        '{"event_id":"e12","quantity":[1, inf]}',
        '{"event_id":"e13","dwell_ms":\tnan}',
        '{"event_id":"e14","sku":"IF-5","category":"infant_formula","search_query":"NaN: inf"}',
    ]
).encode()
JSONL_FILES = {
    "app/events/clean.jsonl": "".join(EVENT.format(i=i) + "\n" for i in range(400)).encode()
    # words holding 'inf' or 'nan' inside strings stay on the fast path
    + b'{"event_id":"e400","category":"infant_formula","sku":"INF-1","search_query":"nano"}\n',
    "app/events/bom_crlf.jsonl": b"\xef\xbb\xbf"
    + "".join(EVENT.format(i=i) + "\r\n" for i in range(20)).encode(),
    "app/events/mixed.jsonl": MIXED_JSONL,
    "app/events/mixed.jsonl.gz": gzip.compress(MIXED_JSONL + b"\n"),
    "app/events/invalid_utf8.jsonl": EVENT.format(i=1).encode() + b'\n{"event_id":"\xc0"}\n',
    "social/tags/a.jsonl": b'\xef\xbb\xbf{"platform":"wechat","phone":"138","tag":"x",'
    b'"observed_time":"t"}\r\n',
}


def land_both(tmp_path: Path, files: dict[str, bytes], monkeypatch) -> tuple[dict, dict]:
    inbox = tmp_path / "inbox"
    for rel, data in files.items():
        path = inbox / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    sources = sorted({rel.split("/")[0] for rel in files})
    out = []
    for fast in (True, False):
        monkeypatch.setattr(loader, "FAST_BLOCKS", fast)
        conn = duckdb.connect(str(tmp_path / f"fast_{fast}.duckdb"))
        reports = {s: land_source(conn, inbox, s, now=NOW) for s in sources}
        out.append((snapshot(conn, sources), reports))
        conn.close()
    (fast_tables, fast_reports), (slow_tables, slow_reports) = out
    return {"fast": fast_tables, "slow": slow_tables}, {"fast": fast_reports, "slow": slow_reports}


def snapshot(conn, sources: list[str]) -> dict[str, list[tuple]]:
    tables = [f"raw.{e.raw_table}" for s in sources for e in entities_of(s)]
    tables += ["raw._rejects", "raw._file_ledger", "raw._file_deliveries"]
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def assert_same(tables: dict, reports: dict) -> None:
    assert tables["fast"] == tables["slow"]
    for source, report in reports["fast"].items():
        other = reports["slow"][source]
        assert report.files == other.files
        assert report.entities == other.entities


def test_fast_and_per_line_paths_land_identical_csv(tmp_path, monkeypatch):
    tables, reports = land_both(tmp_path, CSV_FILES, monkeypatch)
    assert_same(tables, reports)
    by = {f.path.split("/")[-1]: f for f in reports["fast"]["shop"].files}
    assert (by["clean.csv"].rows_landed, by["clean.csv"].rows_rejected) == (300, 0)
    assert (by["mixed.csv"].lines, by["mixed.csv"].rows_landed) == (15, 7)
    assert by["invalid_utf8.csv"].reasons == {"invalid utf-8": 1}
    assert by["gbk.csv"].encoding == "gb18030"
    assert by["long_line.csv"].reasons == {"line too long": 1}
    assert by["empty.csv.gz"].error == "truncated gzip"
    got = dict(tables["fast"].items())["raw.shop_orders"]
    assert all("\r" not in (r[2] or "") for r in got)  # order_time, CR stripped per line


def test_fast_and_per_line_paths_land_identical_jsonl(tmp_path, monkeypatch):
    tables, reports = land_both(tmp_path, JSONL_FILES, monkeypatch)
    assert_same(tables, reports)
    by = {f.path.split("/")[-1]: f for f in reports["fast"]["app"].files}
    assert (by["clean.jsonl"].rows_landed, by["bom_crlf.jsonl"].rows_landed) == (401, 20)
    assert by["mixed.jsonl"].lines == 22
    assert by["mixed.jsonl.gz"].status == "landed"


def test_clean_files_never_take_the_per_line_path(tmp_path, monkeypatch):
    """The point of the fast path: no Python object per line for clean UTF-8 files."""
    calls = {"decode": 0, "python_parsed": 0}
    real_decode = loader.decode_batch

    def counting_decode(batch, encoding):
        calls["decode"] += 1
        return real_decode(batch, encoding)

    for cls in (CsvParser, JsonlParser):
        real_parse = cls.parse

        def counting_parse(self, numbers, texts, _real=real_parse):
            calls["python_parsed"] += len(texts)
            return _real(self, numbers, texts)

        monkeypatch.setattr(cls, "parse", counting_parse)
    monkeypatch.setattr(loader, "decode_batch", counting_decode)
    clean = {
        k: v for k, v in {**CSV_FILES, **JSONL_FILES}.items() if "clean" in k or "bom_crlf" in k
    }
    tables, _ = land_both(tmp_path, clean, monkeypatch)  # fast run first, then per-line
    assert tables["fast"] == tables["slow"]
    # the per-line run decodes every batch; the fast run none (counted together, so compare)
    monkeypatch.setattr(loader, "FAST_BLOCKS", True)
    calls.update(decode=0, python_parsed=0)
    conn = duckdb.connect()
    for source in ("shop", "app"):
        land_source(conn, tmp_path / "inbox", source, now=NOW)
    assert calls == {"decode": 0, "python_parsed": 0}


# Random files: the same piece mix as the adversarial property tests, plus clean lines.
PIECES = [
    b",", b'"', b"\r", b"\n", b"\r\n", b"\t", b" ", b"\x00", b"{", b"}", b"[", b"]", b":",
    b"null", b"1.50", b"NaN", b"\\u0000", b'"event_id":', b"\xef\xbb\xbf", "广东".encode(),
    b"order_id", b"\xff", b"\xe4\xb8", b"\x80", b'{"event_id":"e1","quantity":2}',
    b"o1,u1,t,paid,1,1",
]  # fmt: skip
line_bytes = st.lists(st.sampled_from(PIECES), max_size=8).map(b"".join)
file_bytes = st.lists(line_bytes, max_size=10).map(b"\n".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    entity=st.sampled_from([e for e in ENTITIES if e.name in ("orders", "events", "payments")]),
    body=file_bytes,
    bom=st.booleans(),
    gz=st.booleans(),
)
def test_random_files_land_identically(tmp_path_factory, monkeypatch, entity, body, bom, gz):
    header = (",".join(entity.columns) + "\n").encode() if entity.format == "csv" else b""
    data = (b"\xef\xbb\xbf" if bom else b"") + header + body
    name = f"f.{entity.format}" + (".gz" if gz else "")
    if gz:
        data = gzip.compress(data)
    tmp = tmp_path_factory.mktemp("rand")
    tables, reports = land_both(tmp, {f"{entity.source}/{entity.name}/{name}": data}, monkeypatch)
    assert_same(tables, reports)


# -- the pieces ----------------------------------------------------------------------------


def _batch_lines(data: bytes, **kw) -> list[tuple[int, bytes]]:
    out = []
    for b in iter_line_batches(io.BytesIO(data), **kw):
        out += [(b.first_line + i, b.too_long.get(i, x)) for i, x in enumerate(b.lines)]
    return out


def _block_lines(data: bytes, **kw) -> list[tuple[int, bytes]]:
    out = []
    for item in iter_line_blocks(io.BytesIO(data), **kw):
        b = block_to_batch(item, kw["max_line_bytes"]) if isinstance(item, LineBlock) else item
        out += [(b.first_line + i, b.too_long.get(i, x)) for i, x in enumerate(b.lines)]
    return out


def test_line_blocks_number_and_cut_lines_like_line_batches():
    rnd = random.Random(7)
    alphabet = [b"a", b"bb", b"\n", b"\r", b"\r\n", b"x" * 13, "广".encode()]
    for _ in range(3000):
        data = b"".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        kw = {"max_line_bytes": rnd.randint(1, 20), "chunk_bytes": rnd.randint(1, 40)}
        assert _block_lines(data, **kw) == _batch_lines(data, **kw), (data, kw)


@pytest.mark.parametrize(
    ("data", "first", "expected"),
    [
        (b"\xef\xbb\xbfab\r\n\ncd\r\r\nx\r", 1, ["ab", "", "cd\r", "x"]),
        (b"\xef\xbb\xbfab\r", 5, ["\ufeffab"]),  # a BOM is removed from line 1 only
        (b"", 3, [""]),
        (b"\r", 3, [""]),
        (b"a\rb", 3, ["a\rb"]),
    ],
)
def test_block_lines_apply_the_decode_rules(data, first, expected):
    block = LineBlock(first, data, data.count(b"\n") + 1)
    numbers, texts = block_lines(block)
    assert texts.to_pylist() == expected
    assert numbers.to_pylist() == list(range(first, first + len(expected)))


def test_block_lines_leave_invalid_utf8_and_long_lines_to_the_per_line_path():
    assert block_lines(LineBlock(1, b"ok\n\xff", 2)) is None
    assert block_lines(LineBlock(1, b"ok\n" + b"x" * 30, 2), max_line_bytes=20) is None
    assert block_lines(LineBlock(1, b"ok\n" + b"x" * 10, 2), max_line_bytes=20) is not None


def test_utf8_check_agrees_with_python_in_any_chunking():
    rnd = random.Random(3)
    pieces = [b"a", "广".encode(), "😀".encode(), b"\xed\xa0\x80", b"\xc0", b"\x80", b"\xff",
              b"\xe4\xb8", b"\n", "é".encode(), b"\xf4\x90\x80\x80", b"\xef\xbb\xbf"]  # fmt: skip
    for _ in range(5000):
        data = b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        try:
            data.decode("utf-8")
            expected = True
        except UnicodeDecodeError:
            expected = False
        assert utf8_valid(data) is expected
        check, i = Utf8Check(), 0
        while i < len(data):
            k = rnd.randint(1, 5)
            check.feed(data[i : i + k])
            i += k
        assert check.finish() is expected, data


def test_sql_parse_equals_python_parse_where_numbers_are_canonical(tmp_path, monkeypatch):
    """DuckDB's vectorised parse and Python's agree on strings, nesting, nulls, unicode and CSV
    fields (numbers differ only in form, e.g. 12.50 -> 12.5: documented, so kept canonical)."""
    events = [
        '{"event_id":"é\\"\\\\/\\t","event_type":"view","device_id":"😀","dwell_ms":5}',
        '{"event_id":"e2","category":{"a":[1.5,"x",null,true]},"sku":false,"user_id":null}',
        '{"event_id":"\\u5e7f","search_query":"a,b \\"c\\"","quantity":-3}',
        '{"event_id":"e4","price_cny":129.5,"session_id":""}',
    ]
    files = {
        "app/events/a.jsonl": ("\n".join(events) + "\n").encode(),
        "shop/orders/a.csv": ("\n".join(CSV_LINES[:30]) + "\n").encode(),
    }
    sql, _ = land_both(tmp_path / "sql", files, monkeypatch)
    for cls in (CsvParser, JsonlParser):
        monkeypatch.setattr(
            cls,
            "classify",
            lambda self: ("SELECT row_no, false AS fast FROM _landing_lines", {}),
        )
    python, _ = land_both(tmp_path / "python", files, monkeypatch)
    assert sql["fast"] == python["fast"] == python["slow"]


def test_land_source_restores_the_connections_thread_setting(tmp_path):
    conn = duckdb.connect()
    conn.execute("SET threads = 3")
    land_source(conn, tmp_path / "inbox", "shop", now=NOW)
    assert conn.execute("SELECT current_setting('threads')").fetchone() == (3,)
