"""Identity resolution against the generator's ground truth, end to end.

Once per module: generate a small world (1,000 customers x 60 days), land it into a temp DuckDB
file, and ``dbt build`` staging -> identity -> core marts -> profiles in a throw-away copy of the
dbt project (so parallel work elsewhere in dbt_project cannot break this test, and no target/ or
logs/ land in the repository). Then compare the resolved clusters with the true person_id:

* pairwise precision: of the identifier pairs we put in one customer, the share that belong to
  one person; pairwise recall: of the identifier pairs of one person, the share we put together.
  Over the truth identifiers the data actually carries (an identifier that never reached the
  lakehouse cannot be resolved; coverage is reported), shared traps excluded.
* the traps (in-store tablets, store counter phones) never join two people, and counter-phone
  receipts stay anonymous in fct_orders.

Run: ``.venv/bin/python -m pytest tests/integration/test_identity_ground_truth.py -s``
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.landing import land_inbox
from orchestration.lib.privacy.hashing import keyed_hash
from orchestration.lib.settings import PROJECT_ROOT

DBT = str(Path(sys.executable).parent / "dbt")
TEST_KEY = "itest-identity-key-5d1c0e7a-not-a-secret"
# The CI proxy. The default dataset (`make run`): IDENTITY_WORLD=20000,365,2025-11-01,42
_world = os.environ.get("IDENTITY_WORLD", "1000,60,2026-03-01,7").split(",")
CUSTOMERS, DAYS, START, SEED = int(_world[0]), int(_world[1]), _world[2], int(_world[3])

# The part of the dbt project the customer marts need, copied into the temp project.
PROJECT_PATHS = [
    "dbt_project.yml",
    "macros",
    "models/staging",
    "models/intermediate/enrichment",
    "models/intermediate/identity",
    "models/intermediate/orders",
    "models/marts/core",
    "models/marts/profiles",
    "tests/generic",
    "tests/singular/identity",
    "tests/singular/core",
]
RESOLVED_SQL = "select identifier_key, customer_id from intermediate.int_identifiers_resolved"
# truth id_type -> our id_type (phones and e-mails are resolved as keyed hashes)
TYPE_MAP = {
    "user_id": "user_id",
    "device_id": "device_id",
    "openid": "openid",
    "member_id": "member_id",
    "card_no": "card_no",
    "phone": "phone_hash",
    "email": "email_hash",
}


# The whole dbt project, for tests of marts that need most of it.
WHOLE_PROJECT = ["dbt_project.yml", "selectors.yml", "macros", "models", "tests"]


def _make_project(tmp: Path, paths: list[str] = PROJECT_PATHS) -> Path:
    src = PROJECT_ROOT / "dbt_project"
    proj = tmp / "dbt_project"
    for rel in paths:
        s, d = src / rel, proj / rel
        if s.is_dir():
            shutil.copytree(s, d)
        elif s.exists():
            d.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(s, d)
    seeds = tmp / "seeds"
    seeds.mkdir()
    for p in (PROJECT_ROOT / "seeds").iterdir():
        if p.suffix in (".csv", ".yml"):
            shutil.copy2(p, seeds / p.name)
    shutil.copytree(
        PROJECT_ROOT / "profiles", tmp / "profiles", ignore=shutil.ignore_patterns(".user.yml")
    )
    return proj


def _dbt(proj: Path, db: Path, *args: str) -> subprocess.CompletedProcess:
    tmp = proj.parent
    env = {
        **os.environ,
        "LAKEHOUSE_WAREHOUSE_PATH": str(db),
        "LAKEHOUSE_PII_KEY": TEST_KEY,
        "LAKEHOUSE_DUCKDB_MEMORY_LIMIT": "2GB",
        "LAKEHOUSE_DUCKDB_THREADS": "2",
        "LAKEHOUSE_DBT_THREADS": "2",
        "LAKEHOUSE_DUCKDB_TEMP_DIR": str(tmp / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [
        DBT, *args,
        "--project-dir", str(proj),
        "--profiles-dir", str(tmp / "profiles"),
        "--log-path", str(tmp / "logs"),
        "--target-path", str(tmp / "target"),
    ]  # fmt: skip
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tmp, timeout=900)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("identity_gt")
    inbox, db = tmp / "inbox", tmp / "warehouse.duckdb"
    gen = subprocess.run(
        [
            sys.executable, "-m", "orchestration.lib.generator",
            "--customers", str(CUSTOMERS), "--days", str(DAYS), "--start", START,
            "--seed", str(SEED), "--out", str(inbox), "--quiet",
        ],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    land_inbox(db, inbox)
    proj = _make_project(tmp)
    build = _dbt(
        proj, db, "build",
        "--select", "+path:models/marts/core +path:models/marts/profiles",
        "--indirect-selection", "cautious",
    )  # fmt: skip
    print(build.stdout[-3000:])
    return {"tmp": tmp, "db": db, "proj": proj, "inbox": inbox, "build": build}


def _query(world, sql: str) -> list[tuple]:
    """Short-lived read-only connection: dbt (another process) needs the file lock later."""
    with duckdb.connect(str(world["db"]), read_only=True) as c:
        return c.execute(sql).fetchall()


@pytest.fixture(scope="module")
def truth(world):
    """Truth identifiers as (identifier_key, person_id, is_shared_trap) in a temp table."""
    rows = duckdb.sql(
        f"select id_type, id_value, person_id, is_shared_trap "
        f"from read_parquet('{world['inbox'] / '_truth' / 'identifiers.parquet'}')"
    ).fetchall()
    key = TEST_KEY.encode()
    out = []
    for id_type, id_value, person_id, trap in rows:
        ours = TYPE_MAP.get(id_type)
        if ours is None:  # national_id is not an identity-resolution identifier
            continue
        value = keyed_hash(id_value, key) if ours.endswith("_hash") else id_value
        out.append((f"{ours}:{value}", person_id, bool(trap)))
    return out


def _pairs(sizes) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def test_dbt_build_passes(world):
    build = world["build"]
    assert build.returncode == 0, build.stdout[-6000:] + build.stderr[-2000:]


def _pairwise(items: list[tuple[str, str]]) -> tuple[float, float]:
    """Pairwise (precision, recall) of customers vs true persons, from (person, customer)."""
    by_person: dict[str, int] = {}
    by_customer: dict[str, int] = {}
    by_both: dict[tuple[str, str], int] = {}
    for p, c in items:
        by_person[p] = by_person.get(p, 0) + 1
        by_customer[c] = by_customer.get(c, 0) + 1
        by_both[(p, c)] = by_both.get((p, c), 0) + 1
    tp = _pairs(by_both.values())
    predicted, actual = _pairs(by_customer.values()), _pairs(by_person.values())
    return (tp / predicted if predicted else 1.0), (tp / actual if actual else 1.0)


def _oracle_components(keys: set[str], person_of: dict[str, str], links) -> dict[str, str]:
    """Union-find over the evidence links whose two ends truly belong to the same person: the
    best clustering any evidence-based resolver could reach on this data."""
    parent = {k: k for k in keys}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in links:
        if a in parent and b in parent and person_of[a] == person_of[b]:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    return {k: find(k) for k in keys}


# Why a truth identifier is not in the same customer as the rest of its person, by what the
# landed data holds about it. EXPECTED_CAUSES are identifiers the data links to nothing (no
# evidence-based resolver can join them); any other cause is evidence the resolver or a feed lost.
STRAY_CAUSES_SQL = """
with stray as (
    select split_part(k, ':', 1) as id_type, substr(k, strpos(k, ':') + 1) as id_value, k
    from (select unnest(?) as k)
),
app as (
    select s.k, count(e.user_id) as logged_in_events,
           count(*) filter (where e.event_type in ('add_cart', 'remove_cart')) as cart_events
    from stray as s
    inner join staging.stg_app__events as e
        on (s.id_type = 'device_id' and e.device_id = s.id_value)
        or (s.id_type = 'openid' and e.openid = s.id_value)
    group by s.k
)
select s.k,
    case
        when s.id_type in ('device_id', 'openid') and coalesce(a.logged_in_events, 0) = 0
             and not exists (select 1 from staging.stg_shop__orders as o
                             where s.id_type = 'device_id' and o.device_id = s.id_value)
            then s.id_type || ' only in anonymous app sessions ('
                 || case when a.cart_events > 0 then 'with a cart' else 'browsing' end || ')'
        when s.id_type = 'phone_hash'
             and not exists (select 1 from staging.stg_pos__receipts as r
                             where r.phone_hash = s.id_value and r.member_card_no is not null)
             and not exists (select 1 from staging.stg_pos__assistant_interactions as i
                             where i.phone_hash = s.id_value and i.member_card_no is not null)
             and not exists (select 1 from staging.stg_shop__orders as o
                             where o.receiver_phone_hash = s.id_value)
            then 'phone_hash only on POS receipts without a card, never an order receiver'
        when s.id_type = 'phone_hash'
             and exists (select 1 from staging.stg_shop__orders as o
                         where o.receiver_phone_hash = s.id_value)
            then 'phone_hash also an order receiver phone (receiver evidence lost)'
        else s.id_type || ' with linking evidence (lost by the resolver)'
    end as cause
from stray as s
left join app as a on a.k = s.k
"""
EXPECTED_CAUSES = (
    "device_id only in anonymous app sessions",
    "openid only in anonymous app sessions",
    "phone_hash only on POS receipts without a card",
)


def _breakdown(world, covered: list[tuple[str, str, str]]) -> tuple[Counter, Counter]:
    """Missed truth pairs by (id_type, id_type) and by cause: the expected cause of either end
    if one end has it (the identifier the data links to nothing), else the resolver's loss."""
    by_person: dict[str, list[tuple[str, str]]] = {}
    for k, p, c in covered:
        by_person.setdefault(p, []).append((k, c))
    missed: list[tuple[str, str]] = []
    for ks in by_person.values():
        missed += [(a, b) for (a, ca), (b, cb) in combinations(ks, 2) if ca != cb]
    ends = sorted({k for pair in missed for k in pair})
    with duckdb.connect(str(world["db"]), read_only=True) as con:
        cause = dict(con.execute(STRAY_CAUSES_SQL, [ends]).fetchall()) if ends else {}

    def pair_cause(a: str, b: str) -> str:  # expected, else the more specific loss
        rank = sorted(
            (not cause[k].startswith(EXPECTED_CAUSES), "lost by" in cause[k], k) for k in (a, b)
        )
        return cause[rank[0][2]]

    by_types = Counter(tuple(sorted((a.split(":")[0], b.split(":")[0]))) for a, b in missed)
    by_cause = Counter(pair_cause(a, b) for a, b in missed)
    return by_types, by_cause


def test_pairwise_precision_and_recall(world, truth):
    """Pairwise precision and recall of the resolved clusters against the true person_id.

    Over the truth identifiers the data actually carries (traps excluded; an identifier that
    never reached the lakehouse cannot be resolved). Two recalls are measured:
    * against person_id (the headline): includes identifiers that no record links to the rest of
      their person: a device or mini-program openid only ever used in anonymous sessions (no
      login, no order), a phone only keyed into POS receipts without a card by somebody who
      placed no order in the window. No evidence-based method can join those;
    * against the evidence oracle: components of the links whose two ends are truly one person,
      i.e. what the data supports. Losses here are the resolver's own (guard, iterations).

    Measured (generator + models of this commit). The generator's login model: a personal
    device of a person whose app account predates the window (acquired, or registered as a
    member, before it) starts the window logged in; login then persists per device (3% of later
    sessions logged out); checkout always needs a login; shared in-store tablets never keep one.
      CI proxy, 1,000 x 60 days, seed 7: precision 1.00000; recall vs person_id 0.99004 (0.9852
      with only members' accounts starting logged in; 0.9749 with every device starting logged
      out; 0.9709 before receiver-phone evidence); vs the evidence oracle 1.0000.
      Default dataset: see docs/customer_core_models.md (IDENTITY_WORLD=20000,365,2025-11-01,42).
    What is left is identifiers the data links to nothing: a device or WeChat openid of a person
    without a pre-window account that only ever browsed anonymously, and card-less POS phones of
    people with no order. That limit is the generator's, not the resolver's: with price-sensitive
    persons (cart recall, fewer payment-timeout carts whose cancelled orders carried a receiver
    phone) the same world measures 0.98687 vs person_id, the oracle still 1.0000.
    The assertions: precision and oracle recall >= 0.99; every missed pair explained by an
    expected cause (no linking evidence lost); recall vs person_id equal to what the evidence
    allows (the oracle's own recall vs person_id, the data's limit) and at least 0.98 (a floor
    against a generator change that silently removes linking evidence).
    """
    resolved = dict(_query(world, RESOLVED_SQL))
    links = _query(
        world, "select identifier_key_a, identifier_key_b from intermediate.int_identity_links"
    )
    people = [(k, p) for k, p, trap in truth if not trap]
    covered = [(k, p, resolved[k]) for k, p in people if k in resolved]
    person_of = {k: p for k, p, _ in covered}
    oracle = _oracle_components(set(person_of), person_of, links)

    precision, recall = _pairwise([(p, c) for _, p, c in covered])
    _, recall_supported = _pairwise([(oracle[k], c) for k, _, c in covered])
    _, recall_limit = _pairwise([(p, oracle[k]) for k, p, _ in covered])
    n_persons, n_oracle = len(set(person_of.values())), len(set(oracle.values()))
    by_types, by_cause = _breakdown(world, covered)
    print(
        f"\nidentity vs truth: {len(covered):,} of {len(people):,} truth identifiers reached the "
        f"lakehouse ({len(covered) / len(people):.4f}); {n_persons:,} persons, "
        f"{n_oracle:,} evidence components, {len({c for _, _, c in covered}):,} customers\n"
        f"pairwise precision {precision:.5f}; recall vs person_id {recall:.5f}; "
        f"recall vs evidence oracle {recall_supported:.4f}; the evidence's limit vs person_id "
        f"{recall_limit:.5f}\n"
        f"missed pairs: {sum(by_types.values()):,}\n  by type pair: "
        + ", ".join(f"{a}~{b} {n}" for (a, b), n in by_types.most_common())
        + "\n  by cause: "
        + "; ".join(f"{why}: {n}" for why, n in by_cause.most_common())
    )
    assert precision >= 0.99
    assert recall_supported >= 0.99
    unexplained = {w: n for w, n in by_cause.items() if not w.startswith(EXPECTED_CAUSES)}
    assert not unexplained, f"missed pairs with linking evidence in the data: {unexplained}"
    # The resolver reaches the data's own limit (anonymous-only identifiers link to nothing).
    assert recall >= recall_limit - 1e-9
    assert recall >= 0.98


def test_traps_join_nobody(world, truth):
    """A shared trap (in-store tablet, store counter phone) never puts two persons together."""
    traps = {k for k, _, trap in truth if trap}
    assert traps, "the generator should plant shared traps"
    person_of = {k: p for k, p, trap in truth if not trap}
    excluded = {
        r[0]
        for r in _query(world, "select identifier_key from marts.identity_excluded_identifiers")
    }
    rows = _query(world, RESOLVED_SQL)
    members: dict[str, set[str]] = {}
    cluster_of = {}
    for k, c in rows:
        cluster_of[k] = c
        if k in person_of:
            members.setdefault(c, set()).add(person_of[k])
    for k in traps:
        assert k in excluded or len(members.get(cluster_of.get(k), set())) <= 1, k
    print(
        f"\ntraps: {len(traps)}, excluded by the guard: {len(traps & excluded)}, "
        f"resolved alone or with one person: {len(traps - excluded)}"
    )


def test_counter_phone_receipts_never_go_to_a_person(world, truth):
    """Receipts keyed with a store counter phone are never pinned on a real person.

    At this small scale a counter phone is on a handful of receipts, as many as a real
    phone-paying shopper, so the receipt-volume rule cannot tell them apart: those receipts may
    stay on a counter-phone-only customer (reported), but never on a person's customer.
    """
    receipts = duckdb.sql(
        f"select cast(receipt_id as varchar) as rid, identified_by "
        f"from read_parquet('{world['inbox'] / '_truth' / 'receipts.parquet'}')"
    ).fetchall()
    counter = {rid for rid, how in receipts if how == "counter_phone"}
    if not counter:
        pytest.skip("no counter-phone receipts in this world")
    person_of = {k: p for k, p, trap in truth if not trap}
    persons_of_customer: dict[str, set[str]] = {}
    for k, c in _query(world, RESOLVED_SQL):
        if k in person_of:
            persons_of_customer.setdefault(c, set()).add(person_of[k])
    offline = dict(
        _query(
            world,
            "select order_id, customer_id from marts.fct_orders where order_channel = 'offline'",
        )
    )
    assert counter <= set(offline), "counter-phone receipts should be in fct_orders"
    attributed = [r for r in counter if offline[r] is not None]
    on_person = [r for r in attributed if persons_of_customer.get(offline[r])]
    on_counter = [r for r in attributed if not persons_of_customer.get(offline[r])]
    print(
        f"\ncounter-phone receipts: {len(counter)}; anonymous: "
        f"{len(counter) - len(on_person) - len(on_counter)}, on a counter-phone-only customer: "
        f"{len(on_counter)}, on a person: {len(on_person)}"
    )
    assert not on_person


def test_rerun_is_idempotent_for_identity(world):
    """A second build on the same data keeps every customer_id and logs no change."""
    before = dict(_query(world, RESOLVED_SQL))
    log_before = _query(world, "select count(*) from marts.identity_change_log")[0][0]
    again = _dbt(
        world["proj"],
        world["db"],
        "run",
        "--select",
        "path:models/intermediate/identity path:models/marts/core",
    )
    assert again.returncode == 0, again.stdout[-4000:]
    with duckdb.connect(str(world["db"]), read_only=True) as c2:
        after = dict(c2.execute(RESOLVED_SQL).fetchall())
        log_after = c2.execute("select count(*) from marts.identity_change_log").fetchone()[0]
        new_count = c2.execute(
            "select count(*) from marts.identity_change_log where change_type = 'new'"
        ).fetchone()[0]
        customers = c2.execute("select count(*) from marts.dim_customers").fetchone()[0]
    assert after == before
    assert log_after == log_before
    assert new_count == customers
