"""The SQL normalisation macros agree with orchestration/lib/privacy/hashing.py, and the DuckDB
UDF pii_hash agrees with keyed_hash.

The macros are compiled once by dbt (dbtRunner, `compile --inline`) in a throw-away copy of the
project's macros, then the compiled SQL runs in DuckDB over many inputs: hand-picked edge cases
plus Hypothesis-generated strings; every result must equal the Python function's.
"""

from __future__ import annotations

import shutil
import string

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.lib.privacy.duckdb_plugin import register_pii_hash
from orchestration.lib.privacy.hashing import (
    keyed_hash,
    normalise_email,
    normalise_national_id,
    normalise_phone,
)
from orchestration.lib.settings import PROJECT_ROOT

MACRO_PATHS = [
    "macros/generate_schema_name.sql",
    "macros/portable",
    "macros/privacy",
    "macros/staging",
]
INLINE = (
    "select {{ normalise_phone_e164('v') }} as phone, {{ normalise_email('v') }} as email, "
    "{{ normalise_national_id('v') }} as national_id, {{ pii_hash('v') }} as hashed "
    "from __inputs"
)
EDGE_CASES = [
    "13812345678",
    "+86 138 1234 5678",
    "0086-13812345678",
    "86 13812345678",
    "(138) 1234-5678",
    " +86 (138) 1234.5678\t",
    "1381234567",
    "138123456789",
    "12812345678",
    "010-12345678",
    "+852 9123 4567",
    "+1 415 555 0100",
    "138l2345678",
    "１３８１２３４５６７８",
    "+86+8613812345678",
    "8686138123456",
    "",
    " ",
    "\u3000",
    "  Alice@Example.COM ",
    "a@b.c",
    "a@b",
    "@b.cn",
    "a b@c.cn",
    "x@y.z\n",
    "11010519491231002x",
    " 11010519491231002X ",
    "1101051949123100",
    "ÄÖ@ü.de",
]


@pytest.fixture(scope="module")
def compiled_sql(tmp_path_factory, monkeypatch_module):
    from dbt.cli.main import dbtRunner

    tmp = tmp_path_factory.mktemp("parity")
    proj = tmp / "dbt_project"
    src = PROJECT_ROOT / "dbt_project"
    proj.mkdir()
    shutil.copy2(src / "dbt_project.yml", proj / "dbt_project.yml")
    for rel in MACRO_PATHS:
        s, d = src / rel, proj / rel
        if s.is_dir():
            shutil.copytree(s, d)
        else:
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    (tmp / "seeds").mkdir()
    shutil.copytree(
        PROJECT_ROOT / "profiles", tmp / "profiles", ignore=shutil.ignore_patterns(".user.yml")
    )
    monkeypatch_module.setenv("LAKEHOUSE_WAREHOUSE_PATH", str(tmp / "parity.duckdb"))
    monkeypatch_module.setenv("LAKEHOUSE_DUCKDB_TEMP_DIR", str(tmp / "duckdb_tmp"))
    monkeypatch_module.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    res = dbtRunner().invoke(
        [
            "compile",
            "--inline",
            INLINE,
            "--project-dir",
            str(proj),
            "--profiles-dir",
            str(tmp / "profiles"),
            "--target-path",
            str(proj / "target"),
            "--log-path",
            str(proj / "logs"),
            "--quiet",
        ]
    )
    assert res.success, res.exception
    return res.result.results[0].node.compiled_code


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def run_sql(sql: str, values: list[str | None], key: bytes = b"parity-key") -> list[tuple]:
    con = duckdb.connect()
    register_pii_hash(con, key)
    con.execute("create table __inputs (i integer, v varchar)")
    con.executemany("insert into __inputs values (?, ?)", list(enumerate(values)))
    per_row = sql.replace("from __inputs", "")  # correlated: evaluated once per input row
    rows = con.execute(
        f"select i, x.* from __inputs, lateral ({per_row}) as x order by i"
    ).fetchall()
    con.close()
    return [r[1:] for r in rows]


def python_side(values, key=b"parity-key"):
    return [
        (normalise_phone(v), normalise_email(v), normalise_national_id(v), keyed_hash(v, key))
        for v in values
    ]


def test_sql_macros_match_python_on_edge_cases(compiled_sql):
    values = [*EDGE_CASES, None]
    assert run_sql(compiled_sql, values) == python_side(values)


alphabet = string.digits + "+-() .\t\n@xX_abcAB\u3000１é"


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=alphabet, max_size=22), min_size=1, max_size=40))
def test_sql_macros_match_python_on_generated_strings(compiled_sql, values):
    assert run_sql(compiled_sql, values) == python_side(values)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.from_regex(
            r"(\+86|0086|86)?[ -]?1[3-9][0-9]{2}[ -]?[0-9]{4}[ -]?[0-9]{4}", fullmatch=True
        ),
        min_size=1,
        max_size=20,
    )
)
def test_sql_and_python_agree_on_phone_spellings(compiled_sql, values):
    assert run_sql(compiled_sql, values) == python_side(values)


def test_compiled_sql_contains_no_key(compiled_sql):
    assert "parity-key" not in compiled_sql
    assert "pii_hash(v)" in compiled_sql
