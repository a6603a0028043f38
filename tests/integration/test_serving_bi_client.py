"""A BI client in another process keeps querying while the warehouse is rebuilt and republished.

The client connects the way Superset does (SQLAlchemy + duckdb-engine, the serving URL, no
pooling). Every version v publishes a with 10*v rows and b with 20*v rows; inside one
connection the client checks that both counts, a's sum and ``_published`` agree on one version.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.serving import publish_marts, serving_sqlalchemy_url

pytestmark = pytest.mark.timeout(60)

VERSIONS = range(1, 7)  # 1 initial publish + 5 rebuild-and-publish rounds

CLIENT = textwrap.dedent(
    """
    import json, sys, time
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    url, out, ready, stop = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    engine = sa.create_engine(url, poolclass=NullPool)
    seen, errors, violations, queries = {}, [], [], 0
    deadline = time.monotonic() + 20
    while queries < 20000 and time.monotonic() < deadline:
        try:
            with engine.connect() as con:
                na, sa_, tag = con.exec_driver_sql(
                    "select count(*), sum(x), min(tag) || max(tag) from marts.a").one()
                (nb,) = con.exec_driver_sql("select count(*) from marts.b").one()
                rec = dict(con.exec_driver_sql(
                    "select table_name, row_count from _published").all())
                (ids,) = con.exec_driver_sql(
                    "select count(distinct publish_id) from _published").one()
            queries += 1
            v = na // 10
            want = (10 * v, 20 * v, 10 * v * (10 * v - 1) // 2, f"v{v}v{v}")
            if (na, nb, sa_, tag) != want or rec != {"a": na, "b": nb, "c": 3} or ids != 1:
                violations.append([na, nb, sa_, tag, rec, ids])
            seen[v] = seen.get(v, 0) + 1
        except Exception as exc:  # any error at all is a failure of the serving design
            errors.append(f"{type(exc).__name__}: {exc}")
        if queries == 1:
            open(ready, "w").close()
        if len(errors) > 5 or (queries and __import__("os").path.exists(stop)):
            break
    json.dump({"queries": queries, "seen": seen, "errors": errors,
               "violations": violations[:10]}, open(out, "w"))
    """
)


def rebuild(warehouse: Path, version: int) -> None:
    """What dbt does: a write connection on the live file replacing the mart tables."""
    n = 10 * version
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts; create schema if not exists staging")
        con.execute(
            f"create or replace table marts.a as "
            f"select range as x, 'v{version}' as tag from range({n})"
        )
        con.execute(f"create or replace table marts.b as select range as y from range({2 * n})")
        con.execute("create or replace table staging.s as select range as z from range(3)")
        con.execute("create or replace view marts.c as select z from staging.s")


def test_bi_client_sees_only_complete_versions_and_never_blocks_the_writer(
    tmp_path: Path,
) -> None:
    warehouse, serving = tmp_path / "lakehouse.duckdb", tmp_path / "serving"
    rebuild(warehouse, VERSIONS[0])
    serving_path = publish_marts(warehouse, serving).serving_path
    out, ready, stop = tmp_path / "client.json", tmp_path / "ready", tmp_path / "stop"
    client = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLIENT,
            serving_sqlalchemy_url(serving_path),
            *map(str, (out, ready, stop)),
        ]
    )
    try:
        deadline = time.monotonic() + 15
        while not ready.exists() and client.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), "BI client never completed a first query"

        for version in VERSIONS[1:]:
            rebuild(warehouse, version)  # raises if the BI client had locked the live file
            publish_marts(warehouse, serving)
            time.sleep(0.3)  # let the client query this version
    finally:
        stop.touch()
        client.wait(timeout=25)

    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert result["violations"] == []
    assert result["queries"] > 0
    seen = {int(v) for v in result["seen"]}
    assert seen <= set(VERSIONS)
    assert len(seen) >= 3, f"client saw too few versions to prove anything: {result['seen']}"
    assert max(seen) == VERSIONS[-1] or result["queries"] >= 20000
