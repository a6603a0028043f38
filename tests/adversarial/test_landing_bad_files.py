"""One inbox full of bad files next to good ones: each bad file gets a clear reason, the good
ones land, and a huge line without a break is rejected with bounded memory."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import duckdb

from orchestration.lib.landing import land_source

HEADER = "order_id,user_id,order_time,status,items_amount_cny,pay_amount_cny"


def orders(n: int, header: str = HEADER, eol: str = "\n", start: int = 0) -> bytes:
    lines = [header, *(f"o{i},u{i},t,paid,10.00,9.00" for i in range(start, start + n))]
    return (eol.join(lines) + eol).encode()


def test_bad_files_get_reasons_and_good_files_still_land(tmp_path: Path):
    inbox = tmp_path / "inbox"
    d = inbox / "shop" / "orders"
    d.mkdir(parents=True)
    gz = gzip.compress(orders(500, start=1000))
    files = {
        "good.csv": orders(3),
        "empty.csv": b"",
        "truncated.csv.gz": gz[: len(gz) // 3],
        "gbk.csv": (HEADER + "\no_gbk,用户甲,t,paid,1,1\n").encode("gbk"),
        "bom.csv": b"\xef\xbb\xbf" + orders(2, start=10),
        "crlf.csv": orders(2, eol="\r\n", start=20),
        "extra_cols.csv": orders(2, header=HEADER + ",promo", start=30).replace(
            b"9.00\n", b"9.00,P1\n"
        ),
        "missing_cols.csv": b"order_id,order_time\no1,t\n",
        "renamed_cols.csv": orders(2, header=HEADER.replace("user_id", "uid"), start=40),
        "good.csv.gz": gzip.compress(orders(4, start=50)),
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    # 100 MB without a line break: rejected as one line, read in bounded chunks
    with open(d / "no_newline.csv", "wb") as f:
        f.write((HEADER + "\n").encode())
        block = b"x" * (1 << 20)
        for _ in range(100):
            f.write(block)

    conn = duckdb.connect(str(tmp_path / "wh.duckdb"))
    tracemalloc.start()
    report = land_source(conn, inbox, "shop")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 << 20, f"Python peak {peak / 1e6:.0f} MB"

    by = {Path(f.path).name: f for f in report.files}
    assert {n: f.status for n, f in by.items()} == {
        "bom.csv": "landed",
        "crlf.csv": "landed",
        "empty.csv": "landed",
        "extra_cols.csv": "landed",
        "gbk.csv": "landed",
        "good.csv": "landed",
        "good.csv.gz": "landed",
        "missing_cols.csv": "rejected",
        "no_newline.csv": "landed",
        "renamed_cols.csv": "rejected",
        "truncated.csv.gz": "rejected",
    }
    assert by["truncated.csv.gz"].error == "truncated gzip"
    assert by["missing_cols.csv"].error == (
        "schema drift: missing required columns user_id, status, items_amount_cny, pay_amount_cny"
    )
    assert by["renamed_cols.csv"].error == "schema drift: missing required columns user_id"
    assert by["gbk.csv"].encoding == "gb18030" and by["gbk.csv"].rows_landed == 1
    assert (by["no_newline.csv"].lines, by["no_newline.csv"].rows_rejected) == (1, 1)
    assert dict(by["no_newline.csv"].reasons) == {"line too long": 1}
    assert (by["empty.csv"].lines, by["empty.csv"].rows_landed) == (0, 0)
    for name, n in {
        "good.csv": 3,
        "bom.csv": 2,
        "crlf.csv": 2,
        "extra_cols.csv": 2,
        "good.csv.gz": 4,
    }.items():
        assert (by[name].rows_landed, by[name].rows_rejected) == (n, 0), name

    q = conn.execute
    assert q("SELECT user_id FROM raw.shop_orders WHERE order_id = 'o_gbk'").fetchall() == [
        ("用户甲",)
    ]
    assert q(
        'SELECT count(*) FROM raw.shop_orders WHERE _extra = \'{"promo":"P1"}\''
    ).fetchone() == (2,)
    assert q("SELECT count(*) FROM raw.shop_orders WHERE order_time LIKE '%\r%'").fetchone() == (0,)
    assert q("SELECT count(*) FROM raw.shop_orders").fetchone() == (14,)
    assert q("SELECT count(*) FROM raw._file_deliveries").fetchone() == (11,)
    (raw,) = q("SELECT raw_line FROM raw._rejects WHERE reason = 'line too long'").fetchone()
    assert raw == "x" * 1000
    assert {r[0] for r in q("SELECT status FROM raw._file_deliveries").fetchall()} == {
        "landed",
        "rejected",
    }
