"""Erasure on the real pipeline: generate, materialise, erase one person, prove they are gone,
that everybody else is untouched, and that a re-materialisation does not bring them back."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.lib.erasure import erase, verify
from orchestration.lib.erasure.identify import seed_terms
from orchestration.lib.settings import load_settings
from tests.conftest import TEST_PII_KEY

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _materialize() -> None:
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("materialize_everything")
    with DagsterInstance.ephemeral() as instance:
        assert job.execute_in_process(instance=instance, raise_on_error=False).success


def _env(mp: pytest.MonkeyPatch, data_dir: Path) -> None:
    mp.setenv("LAKEHOUSE_DATA_DIR", str(data_dir))
    mp.setenv("LAKEHOUSE_PII_KEY", TEST_PII_KEY)
    mp.setenv("LAKEHOUSE_DUCKDB_MEMORY_LIMIT", "2GB")
    for var in ("LAKEHOUSE_WAREHOUSE_PATH", "LAKEHOUSE_INBOX_DIR", "LAKEHOUSE_SERVING_DIR"):
        mp.delenv(var, raising=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from orchestration.lib.generator import generate

    data_dir = tmp_path_factory.mktemp("erasure-e2e")
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, data_dir)
        generate(
            customers=200,
            days=20,
            start="2026-01-01",
            seed=11,
            out=data_dir / "inbox",
            dirt_rate=0.03,
            progress=False,
        )
        _materialize()
    return data_dir


@pytest.fixture
def env(built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _env(monkeypatch, built)
    return built


def _person(truth: Path) -> tuple[str, str, list[str]]:
    """(person_id, phone, every true identifier and order id) of a member (so the phone is an
    identity, not only a receiver phone) with the most orders and no shared-trap identifier."""
    with duckdb.connect() as con:
        row = con.execute(
            f"""
            with ids as (select * from '{truth}/identifiers.parquet'),
                 o as (select person_id, count(*) as n from '{truth}/orders.parquet' group by 1)
            select p.person_id, p.id_value from ids p join o using (person_id)
            where p.id_type = 'phone'
              and p.person_id in (select person_id from ids where id_type = 'member_id')
              and p.person_id not in
                (select person_id from ids where is_shared_trap and person_id is not null)
            order by o.n desc, p.person_id limit 1"""
        ).fetchone()
        values = con.execute(
            f"""select id_value from '{truth}/identifiers.parquet' where person_id = $p
                union select order_id from '{truth}/orders.parquet' where person_id = $p""",
            {"p": row[0]},
        ).fetchall()
    return row[0], row[1], [v for (v,) in values]


def _mentions(warehouse: Path, values: list[str]) -> dict[str, int]:
    """Rows per table.column containing any of the values (plain substring, no regex)."""
    hits = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cols = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where data_type = 'VARCHAR' and table_catalog = current_database()"
        ).fetchall()
        for s, t, c in cols:
            cond = " or ".join(f'contains("{c}", ?)' for _ in values)
            n = con.execute(f'select count(*) from "{s}"."{t}" where {cond}', values).fetchone()[0]
            if n:
                hits[f"{s}.{t}.{c}"] = n
    return hits


def _per_customer(warehouse: Path) -> dict[str, dict[str, int]]:
    """For every mart with customer_id: rows per customer."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = con.execute(
            "select table_name from information_schema.columns where table_schema = 'marts' "
            "and column_name = 'customer_id' and table_catalog = current_database()"
        ).fetchall()
        return {
            t: dict(
                con.execute(f'select customer_id, count(*) from marts."{t}" group by 1').fetchall()
            )
            for (t,) in marts
        }


def test_erase_a_generated_person(env: Path) -> None:
    settings = load_settings()
    person, phone, truth_values = _person(settings.inbox_dir / "_truth")
    national = phone[-11:]
    spelled = f"+86 {national[:3]} {national[3:7]} {national[7:]}"
    assert _mentions(settings.warehouse_path, [national])  # positive control
    before = _per_customer(settings.warehouse_path)

    report = erase([spelled], [])
    assert report.ok, report.describe()
    assert report.rows["marts.dim_customers"] == 1 and report.files_rewritten

    # No trace of any true identifier, order id or the phone digits in any table.
    assert _mentions(settings.warehouse_path, [national, *truth_values]) == {}
    # Everybody else: per-customer row counts in every mart are unchanged.
    after = _per_customer(settings.warehouse_path)
    for table, counts in before.items():
        gone = {c for c in counts if c not in after[table]}
        assert len(gone) <= 1, table
        assert {c: n for c, n in counts.items() if c not in gone} == after[table], table
    # Built-in verification (tables, serving, Parquet, bytes) passed; and again independently.
    terms = seed_terms([phone], [])
    terms.ids = {"truth": set(truth_values)}
    assert verify(settings, terms).ok


def test_rematerialise_does_not_bring_the_person_back(env: Path) -> None:
    settings = load_settings()
    _person_id, phone, truth_values = _person(settings.inbox_dir / "_truth")
    _materialize()
    assert _mentions(settings.warehouse_path, [phone[-11:], *truth_values]) == {}
    terms = seed_terms([phone], [])
    terms.ids = {"truth": set(truth_values)}
    v = verify(settings, terms)
    assert v.ok, v
