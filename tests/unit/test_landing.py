"""Landing library: parser edge cases on hand-made bytes, idempotency and reconciliation."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.landing import land_source
from orchestration.lib.landing.lines import iter_line_batches

NOW = datetime(2026, 6, 18, 12, 0, 0)
ORDERS_HEADER = "order_id,user_id,order_time,status,items_amount_cny,pay_amount_cny"
ORDER = "o{i},u{i},2026-06-18 20:15:03,paid,100.00,95.00"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    return tmp_path / "inbox"


@pytest.fixture
def conn(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield c
    c.close()


def put(inbox: Path, rel: str, data: bytes) -> Path:
    path = inbox / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def orders_csv(n: int, header: str = ORDERS_HEADER, eol: str = "\n") -> bytes:
    return (eol.join([header, *(ORDER.format(i=i) for i in range(n))]) + eol).encode()


def rows(conn, sql: str, *params) -> list[tuple]:
    return conn.execute(sql, list(params)).fetchall()


def rejects(conn, path: str) -> list[tuple[int, str]]:
    return rows(
        conn,
        "SELECT line_number, reason FROM raw._rejects WHERE source_file = ? ORDER BY 1",
        path,
    )


def one_file(report, path: str):
    (fr,) = [f for f in report.files if f.path == path]
    return fr


# -- line splitting ------------------------------------------------------------------------


def test_lines_final_line_without_newline_counts_and_trailing_newline_does_not():
    def split(data: bytes, **kw) -> list[bytes]:
        out: list[bytes] = []
        for b in iter_line_batches(io.BytesIO(data), **kw):
            out += [b"<long>" if i in b.too_long else x for i, x in enumerate(b.lines)]
        return out

    assert split(b"") == []
    assert split(b"a\nb") == [b"a", b"b"]
    assert split(b"a\nb\n") == [b"a", b"b"]
    assert split(b"\n\n") == [b"", b""]
    # over-long lines are found whether they span chunks or sit inside one
    data = b"ok\n" + b"x" * 50 + b"\nfine\n" + b"y" * 20 + b"\nz" * 3
    for chunk in (1, 3, 7, 64, 1000):
        assert split(data, max_line_bytes=10, chunk_bytes=chunk) == [
            b"ok",
            b"<long>",
            b"fine",
            b"<long>",
            b"z",
            b"z",
            b"z",
        ]
    assert split(b"x" * 100, max_line_bytes=10, chunk_bytes=8) == [b"<long>"]


# -- CSV -----------------------------------------------------------------------------------


def test_clean_csv_lands_every_declared_column_as_varchar(conn, inbox):
    put(inbox, "shop/orders/a.csv", orders_csv(3))
    report = land_source(conn, inbox, "shop", now=NOW)
    fr = one_file(report, "shop/orders/a.csv")
    assert (fr.status, fr.lines, fr.rows_landed, fr.rows_rejected) == ("landed", 3, 3, 0)
    got = rows(
        conn,
        "SELECT order_id, pay_amount_cny, device_id, _extra, _source_file, _line_number, "
        "_loaded_at FROM raw.shop_orders ORDER BY _line_number",
    )
    assert got[0] == ("o0", "95.00", None, None, "shop/orders/a.csv", 2, NOW)
    assert [r[5] for r in got] == [2, 3, 4]
    types = dict(
        rows(
            conn,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'shop_orders'",
        )
    )
    assert types["order_id"] == "VARCHAR" and types["_line_number"] == "BIGINT"
    assert types["_loaded_at"] == "TIMESTAMP"


def test_csv_bom_crlf_and_header_case_and_spaces(conn, inbox):
    header = " Order_ID ,USER_ID,order_time,Status,items_amount_cny,pay_amount_cny"
    put(inbox, "shop/orders/a.csv", b"\xef\xbb\xbf" + orders_csv(2, header=header, eol="\r\n"))
    report = land_source(conn, inbox, "shop", now=NOW)
    assert one_file(report, "shop/orders/a.csv").rows_landed == 2
    got = rows(conn, "SELECT order_id, user_id, pay_amount_cny FROM raw.shop_orders ORDER BY 1")
    assert got == [("o0", "u0", "95.00"), ("o1", "u1", "95.00")]


def test_csv_extra_and_renamed_columns_go_to_extra(conn, inbox):
    header = ORDERS_HEADER + ",Coupon_Code,receiverPhone"
    body = f"{header}\n" + ORDER.format(i=1) + ",SPRING,138\n"
    put(inbox, "shop/orders/a.csv", body.encode())
    land_source(conn, inbox, "shop", now=NOW)
    (extra, phone) = rows(conn, "SELECT _extra, receiver_phone FROM raw.shop_orders")[0]
    assert json.loads(extra) == {"Coupon_Code": "SPRING", "receiverPhone": "138"}
    assert phone is None  # a renamed column is unknown, so the declared one is NULL


def test_csv_missing_required_column_rejects_whole_file_others_land(conn, inbox):
    bad_header = "order_id,order_time,status,items_amount_cny,pay_amount_cny"  # no user_id
    put(inbox, "shop/orders/bad.csv", (bad_header + "\no1,t,paid,1,1\no2,t,paid,1,1\n").encode())
    put(inbox, "shop/orders/good.csv", orders_csv(2))
    report = land_source(conn, inbox, "shop", now=NOW)
    bad = one_file(report, "shop/orders/bad.csv")
    assert bad.status == "rejected"
    assert bad.error == "schema drift: missing required columns user_id"
    assert (bad.lines, bad.rows_landed, bad.rows_rejected) == (2, 0, 2)
    assert [r[1] for r in rejects(conn, "shop/orders/bad.csv")] == [bad.error] * 2
    assert one_file(report, "shop/orders/good.csv").rows_landed == 2
    assert rows(conn, "SELECT status, error FROM raw._file_ledger WHERE path LIKE '%bad.csv'") == [
        ("rejected", bad.error)
    ]


def test_csv_wrong_field_count_blank_line_and_quoting(conn, inbox):
    body = "\n".join(
        [
            ORDERS_HEADER,
            ORDER.format(i=1),
            "",
            "o2,u2,t,paid,1",  # too few fields
            'o3,"u,3",t,paid,1,"1"',  # quoted comma: slow path, lands
            "   ",
            ORDER.format(i=4) + ",extra",
        ]
    ).encode()
    put(inbox, "shop/orders/a.csv", body)
    report = land_source(conn, inbox, "shop", now=NOW)
    fr = one_file(report, "shop/orders/a.csv")
    assert (fr.lines, fr.rows_landed, fr.rows_rejected) == (6, 2, 4)
    assert rejects(conn, "shop/orders/a.csv") == [
        (3, "blank line"),
        (4, "wrong field count: expected 6, got 5"),
        (6, "blank line"),
        (7, "wrong field count: expected 6, got 7"),
    ]
    assert rows(conn, "SELECT user_id FROM raw.shop_orders WHERE order_id = 'o3'") == [("u,3",)]


def test_csv_quoted_newline_rejects_both_physical_lines(conn, inbox):
    body = "\n".join(
        [
            ORDERS_HEADER,
            'o1,u1,t,paid,"1',
            '0",5',  # second half of a quoted newline
            ORDER.format(i=2),
            'o3,u3,t,paid,1,"unterminated',  # open quote on the last line
        ]
    ).encode()
    put(inbox, "shop/orders/a.csv", body)
    report = land_source(conn, inbox, "shop", now=NOW)
    fr = one_file(report, "shop/orders/a.csv")
    assert (fr.lines, fr.rows_landed, fr.rows_rejected) == (4, 1, 3)
    assert rejects(conn, "shop/orders/a.csv") == [
        (2, "unterminated quoted field"),
        (3, "wrong field count: expected 6, got 2"),
        (5, "unterminated quoted field"),
    ]


def test_gbk_file_is_detected_and_decoded(conn, inbox):
    header = "member_id,card_no,register_time,region"
    text = f"{header}\nm1,c1,2026-01-01,广东省\nm2,c2,2026-01-02,北京市\n"
    put(inbox, "membership/members/gbk.csv", text.encode("gbk"))
    report = land_source(conn, inbox, "membership", now=NOW)
    fr = one_file(report, "membership/members/gbk.csv")
    assert (fr.encoding, fr.rows_landed, fr.rows_rejected) == ("gb18030", 2, 0)
    assert rows(conn, "SELECT region FROM raw.membership_members ORDER BY 1") == [
        ("北京市",),
        ("广东省",),
    ]
    assert rows(conn, "SELECT encoding FROM raw._file_ledger") == [("gb18030",)]


def test_invalid_utf8_line_is_rejected_rest_lands(conn, inbox):
    header = "member_id,card_no,register_time,region"
    body = (
        f"{header}\nm1,c1,t,广东省\n".encode() + b"m2,c2,t,\xff\xfe\n" + "m3,c3,t,北京市\n".encode()
    )
    put(inbox, "membership/members/a.csv", body)
    report = land_source(conn, inbox, "membership", now=NOW)
    fr = one_file(report, "membership/members/a.csv")
    assert (fr.encoding, fr.rows_landed, fr.rows_rejected) == ("utf-8", 2, 1)
    assert rejects(conn, "membership/members/a.csv") == [(3, "invalid utf-8")]
    raw = rows(conn, "SELECT raw_line FROM raw._rejects")[0][0]
    assert raw.startswith("m2,c2,t,")


def test_empty_file_and_header_only_file(conn, inbox):
    put(inbox, "shop/orders/empty.csv", b"")
    put(inbox, "shop/payments/header_only.csv", b"payment_id,order_id,paid_time,amount_cny\n")
    put(inbox, "app/events/empty.jsonl", b"")  # same content as empty.csv: a duplicate
    report = land_source(conn, inbox, "shop", now=NOW)
    for path in ("shop/orders/empty.csv", "shop/payments/header_only.csv"):
        fr = one_file(report, path)
        assert (fr.status, fr.lines, fr.rows_landed, fr.rows_rejected) == ("landed", 0, 0, 0)
    app = land_source(conn, inbox, "app", now=NOW)
    assert one_file(app, "app/events/empty.jsonl").status == "duplicate"
    assert rows(conn, "SELECT count(*) FROM raw._file_deliveries") == [(3,)]


def test_gzip_lands_and_truncated_gzip_is_rejected(conn, inbox):
    full = gzip.compress(orders_csv(2000))
    put(inbox, "shop/orders/ok.csv.gz", full)
    put(inbox, "shop/orders/cut.csv.gz", full[: len(full) // 2])
    put(inbox, "shop/orders/notgz.csv.gz", b"plain text, not gzip\n")
    report = land_source(conn, inbox, "shop", now=NOW)
    assert one_file(report, "shop/orders/ok.csv.gz").rows_landed == 2000
    cut = one_file(report, "shop/orders/cut.csv.gz")
    assert (cut.status, cut.error, cut.rows_landed) == ("rejected", "truncated gzip", 0)
    assert cut.rows_rejected == cut.lines > 0  # what decompressed is kept in _rejects
    notgz = one_file(report, "shop/orders/notgz.csv.gz")
    assert notgz.status == "rejected" and notgz.error.startswith("corrupt gzip")
    assert notgz.lines == 0


def test_line_too_long_is_rejected_without_stopping_the_file(conn, inbox):
    long_line = "o9,u9,t,paid,1," + "9" * (2 << 20)
    body = "\n".join([ORDERS_HEADER, ORDER.format(i=1), long_line, ORDER.format(i=2)]) + "\n"
    put(inbox, "shop/orders/a.csv", body.encode())
    report = land_source(conn, inbox, "shop", now=NOW)
    fr = one_file(report, "shop/orders/a.csv")
    assert (fr.lines, fr.rows_landed, fr.rows_rejected) == (3, 2, 1)
    assert rejects(conn, "shop/orders/a.csv") == [(3, "line too long")]
    assert len(rows(conn, "SELECT raw_line FROM raw._rejects")[0][0]) == 1000


def test_wrong_format_and_ignored_files(conn, inbox):
    put(inbox, "shop/orders/a.jsonl", b'{"order_id": "o1"}\n')
    put(inbox, "shop/orders/readme.txt", b"hello")
    put(inbox, "shop/unknown_entity/a.csv", b"x\n")
    put(inbox, "shop/orders/.partial.csv", b"in progress")
    report = land_source(conn, inbox, "shop", now=NOW)
    fr = one_file(report, "shop/orders/a.jsonl")
    assert fr.status == "rejected" and fr.error.startswith("wrong format")
    assert (fr.lines, fr.rows_rejected) == (1, 1)
    assert sorted(report.ignored) == ["shop/orders/readme.txt", "shop/unknown_entity/a.csv"]


# -- JSONL ---------------------------------------------------------------------------------


def test_jsonl_values_keys_and_rejects(conn, inbox):
    lines = [
        '{"event_id":"e1","event_type":"view","event_time":"t","device_id":"d","user_id":null}',
        '{"event_id":"e2","price_cny":12.50,"quantity":3,"sku":true,"category":{"a":[1.0,"x"]}}',
        '{"Event_ID":"e3"," device_id ":"d3","utm":{"s":1.50},"event_type":"pay"}',
        "not json",
        "[1, 2]",
        "",
        '{"event_id": NaN}',
        '{"event_id": "e4",}',
        '{"event_id": "\\ud800"}',
        '{"event_id": 12345678901234567890123}',
    ]
    put(inbox, "app/events/a.jsonl", ("\n".join(lines) + "\n").encode())
    report = land_source(conn, inbox, "app", now=NOW)
    fr = one_file(report, "app/events/a.jsonl")
    assert (fr.lines, fr.rows_landed, fr.rows_rejected) == (10, 4, 6)
    got = {
        r[0]: r[1:]
        for r in rows(
            conn,
            "SELECT _line_number, event_id, user_id, price_cny, quantity, sku, category, "
            "device_id, _extra FROM raw.app_events",
        )
    }
    assert got[1] == ("e1", None, None, None, None, None, "d", None)
    # all keys declared: DuckDB's fast path, which writes numbers canonically (12.50 -> 12.5)
    assert got[2] == ("e2", None, "12.5", "3", "true", '{"a":[1.0,"x"]}', None, None)
    # unknown key: Python's path, which keeps number text as delivered
    assert got[3] == ("e3", None, None, None, None, None, "d3", '{"utm":{"s":1.50}}')
    assert got[10][0] == "12345678901234567890123"  # long numbers keep every digit
    assert rejects(conn, "app/events/a.jsonl") == [
        (4, "invalid json: Expecting value"),
        (5, "not a JSON object"),
        (6, "blank line"),
        (7, "invalid json: NaN is not valid JSON"),
        (8, "invalid json: Expecting property name enclosed in double quotes"),
        (9, "invalid json: lone surrogate escape"),
    ]


def test_jsonl_fast_and_slow_paths_agree_on_strings(conn, inbox):
    """The same object lands identically whether DuckDB or Python parses it."""
    obj = {"event_id": 'é"\\/\t', "event_type": "view", "device_id": "😀", "dwell_ms": 5}
    fast = json.dumps(obj, ensure_ascii=False)
    slow = json.dumps({**obj, "extra_key": 1}, ensure_ascii=True)  # extra key: Python path
    put(inbox, "app/events/a.jsonl", f"{fast}\n{slow}\n".encode())
    land_source(conn, inbox, "app", now=NOW)
    got = rows(
        conn, "SELECT event_id, device_id, dwell_ms FROM raw.app_events ORDER BY _line_number"
    )
    assert got[0] == got[1] == (obj["event_id"], obj["device_id"], "5")


def test_jsonl_bom_crlf(conn, inbox):
    body = b'\xef\xbb\xbf{"platform":"wechat","phone":"138","tag":"x","observed_time":"t"}\r\n'
    put(inbox, "social/tags/a.jsonl", body * 1)
    report = land_source(conn, inbox, "social", now=NOW)
    assert one_file(report, "social/tags/a.jsonl").rows_landed == 1
    assert rows(conn, "SELECT platform, observed_time FROM raw.social_tags") == [("wechat", "t")]


# -- exactly once --------------------------------------------------------------------------


def test_landing_twice_equals_landing_once(conn, inbox):
    put(inbox, "shop/orders/a.csv", orders_csv(5))
    put(inbox, "shop/orders/b.csv", orders_csv(5))  # same content, another name
    put(inbox, "shop/orders/sub/c.csv.gz", gzip.compress(orders_csv(7)))
    first = land_source(conn, inbox, "shop", now=NOW)
    assert [f.status for f in first.files] == ["landed", "duplicate", "landed"]
    snapshot = [
        rows(conn, f"SELECT count(*) FROM raw.{t}")
        for t in ("shop_orders", "_file_ledger", "_file_deliveries", "_rejects")
    ]
    assert snapshot == [[(12,)], [(2,)], [(3,)], [(0,)]]
    second = land_source(conn, inbox, "shop", now=datetime(2026, 6, 19))
    assert [f.status for f in second.files] == ["seen", "seen", "seen"]
    assert second.entities["orders"].files_new == 0
    assert snapshot == [
        rows(conn, f"SELECT count(*) FROM raw.{t}")
        for t in ("shop_orders", "_file_ledger", "_file_deliveries", "_rejects")
    ]
    assert rows(conn, "SELECT path, status FROM raw._file_deliveries ORDER BY 1") == [
        ("shop/orders/a.csv", "landed"),
        ("shop/orders/b.csv", "duplicate"),
        ("shop/orders/sub/c.csv.gz", "landed"),
    ]
    # the same content delivered again later under a third name: one more delivery row only
    put(inbox, "shop/orders/d.csv", orders_csv(5))
    third = land_source(conn, inbox, "shop", now=datetime(2026, 6, 20))
    assert one_file(third, "shop/orders/d.csv").status == "duplicate"
    assert rows(conn, "SELECT count(*) FROM raw.shop_orders") == [(12,)]


def test_file_changed_while_landing_is_retried_next_run(conn, inbox, monkeypatch):
    from orchestration.lib.landing import loader

    put(inbox, "shop/orders/a.csv", orders_csv(3))
    put(inbox, "shop/orders/b.csv", orders_csv(4))
    real = loader.file_sha256

    def stale_hash(path):
        sha, size = real(path)
        return ("0" * 64 if path.name == "b.csv" else sha), size

    monkeypatch.setattr(loader, "file_sha256", stale_hash)
    report = land_source(conn, inbox, "shop", now=NOW)
    assert [f.status for f in report.files] == ["landed", "error"]
    assert rows(conn, "SELECT count(*) FROM raw.shop_orders") == [(3,)]
    monkeypatch.setattr(loader, "file_sha256", real)
    again = land_source(conn, inbox, "shop", now=NOW)
    assert [f.status for f in again.files] == ["seen", "landed"]
    assert rows(conn, "SELECT count(*) FROM raw.shop_orders") == [(7,)]


def test_reconciliation_every_file_lines_equal_landed_plus_rejected(conn, inbox):
    put(inbox, "shop/orders/a.csv", orders_csv(4) + b"bad\n\n" + b"o,u,t,s,1,2,3\n")
    put(inbox, "shop/orders/b.csv.gz", gzip.compress(orders_csv(3, eol="\r\n")))
    put(inbox, "shop/orders/c.csv.gz", gzip.compress(orders_csv(50))[:-30])
    put(inbox, "shop/payments/d.csv", b"payment_id,order_id\np1,o1\n")
    put(inbox, "app/events/e.jsonl", b'{"event_id":"1"}\n{bad\n\n[]\n{"x":1}')
    for source in ("shop", "app"):
        land_source(conn, inbox, source, now=NOW)
    check = rows(
        conn,
        """
        SELECT l.path, l.lines, l.rows_landed, l.rows_rejected,
               coalesce(r.n, 0) AS landed, coalesce(j.n, 0) AS rejected
        FROM raw._file_ledger l
        LEFT JOIN (
            SELECT _file_sha256 AS sha, count(*) AS n FROM (
                SELECT _file_sha256 FROM raw.shop_orders
                UNION ALL SELECT _file_sha256 FROM raw.shop_payments
                UNION ALL SELECT _file_sha256 FROM raw.app_events
            ) GROUP BY 1
        ) r ON r.sha = l.sha256
        LEFT JOIN (
            SELECT file_sha256 AS sha, count(*) AS n FROM raw._rejects GROUP BY 1
        ) j ON j.sha = l.sha256
        ORDER BY 1
        """,
    )
    assert len(check) == 5
    for path, lines, landed, rejected, landed_t, rejected_t in check:
        assert lines == landed + rejected == landed_t + rejected_t, path
        assert (landed, rejected) == (landed_t, rejected_t), path
    assert {c[0]: c[1:4] for c in check}["shop/orders/a.csv"] == (7, 4, 3)
