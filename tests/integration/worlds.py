"""Building a test world: generate a dataset with the project's generator, land it into a fresh
warehouse, copy the dbt project beside it and build a selection (shared by the integration tests
that check marts against the generator's truth)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

from orchestration.lib.landing import land_inbox
from orchestration.lib.settings import PROJECT_ROOT
from tests.integration.test_identity_ground_truth import WHOLE_PROJECT, _dbt, _make_project

# What every world build leaves out: the dbt unit tests have their own suite
# (test_dbt_unit_tests.py), and "cautious" keeps data tests of unselected parents out.
BUILD_ARGS = ("--exclude", "resource_type:unit_test", "--indirect-selection", "cautious")


def generate(out: Path, *, customers: int, days: int, start: date | str, seed: int) -> Path:
    """Run the generator (a subprocess, as a user would) into `out`; `out / "_truth"` holds
    its ground truth."""
    gen = subprocess.run(
        [
            sys.executable, "-m", "orchestration.lib.generator", "--customers", str(customers),
            "--days", str(days), "--start", str(start), "--seed", str(seed),
            "--out", str(out), "--quiet",
        ],
        capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=600,
    )  # fmt: skip
    assert gen.returncode == 0, gen.stderr
    return out


def landed_world(
    tmp: Path, *, customers: int, days: int, start: date | str, seed: int, land: bool = True
) -> tuple[Path, Path, Path]:
    """(inbox, warehouse, dbt project): a generated inbox, landed (unless land=False) into
    tmp/warehouse.duckdb, and a copy of the whole dbt project with its seeds under tmp."""
    inbox, db = tmp / "inbox", tmp / "warehouse.duckdb"
    generate(inbox, customers=customers, days=days, start=start, seed=seed)
    if land:
        land_inbox(db, inbox)
    return inbox, db, _make_project(tmp, WHOLE_PROJECT)


def build(proj: Path, db: Path, *select: str, extra: tuple[str, ...] = ()) -> None:
    """`dbt build --select <select...>` of the world, failing the test with dbt's output."""
    run = _dbt(proj, db, "build", "--select", *select, *BUILD_ARGS, *extra)
    assert run.returncode == 0, run.stdout[-4000:]
