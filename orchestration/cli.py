"""Command line entry points used by the Makefile: generate, materialize, summary."""

from __future__ import annotations

import argparse
import json
import sys
import time


def _generate(args: argparse.Namespace) -> int:
    from orchestration.lib.generator import generate
    from orchestration.lib.settings import load_settings

    settings = load_settings()
    out = settings.inbox_dir
    wanted = {
        "customers": args.customers,
        "days": args.days,
        "start": args.start,
        "seed": args.seed,
        "dirt_rate": args.dirt_rate,
    }
    manifest = out / "_truth" / "manifest.json"
    if manifest.exists():
        previous = json.loads(manifest.read_text()).get("arguments", {})
        if all(str(previous.get(k)) == str(v) for k, v in wanted.items()):
            print(f"Demo data for {wanted} already in {out}; not regenerating.")
            return 0
    generate(out=out, progress=True, **wanted)
    return 0


def _materialize(args: argparse.Namespace) -> int:
    from orchestration.definitions import defs
    from orchestration.lib.run_summary import build_summary
    from orchestration.lib.settings import load_settings

    settings = load_settings()
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    job = defs.resolve_job_def("materialize_everything")
    with _dagster_instance() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # Step-level events at INFO; the full event stream is in the Dagster UI.
            run_config={"loggers": {"console": {"config": {"log_level": args.log_level}}}},
        )
    print(build_summary(settings.warehouse_path, settings.serving_dir, settings.exports_dir))
    status = "succeeded" if result.success else "FAILED"
    print(f"run {status} in {time.monotonic() - started:,.0f} s (run id {result.run_id})")
    return 0 if result.success else 1


def _summary(args: argparse.Namespace) -> int:
    from orchestration.lib.run_summary import build_summary
    from orchestration.lib.settings import load_settings

    settings = load_settings()
    print(build_summary(settings.warehouse_path, settings.serving_dir, settings.exports_dir))
    return 0


def _dagster_instance():
    """The persistent instance under $DAGSTER_HOME (seeded with our dagster.yaml, so `make dev`
    shows these runs), or a throwaway one when DAGSTER_HOME is unset."""
    import os
    from pathlib import Path

    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME")
    if not home:
        return DagsterInstance.ephemeral()
    Path(home).mkdir(parents=True, exist_ok=True)
    instance_config = Path(home) / "dagster.yaml"
    if not instance_config.exists():
        instance_config.write_text(Path(__file__).with_name("dagster.yaml").read_text())
    return DagsterInstance.get()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write the synthetic demo feed into the inbox")
    gen.add_argument("--customers", type=int, default=20_000)
    gen.add_argument("--days", type=int, default=365)
    gen.add_argument("--start", default="2025-11-01")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--dirt-rate", type=float, default=0.02)
    gen.set_defaults(func=_generate)
    mat = sub.add_parser("materialize", help="materialise every asset headless")
    mat.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    mat.set_defaults(func=_materialize)
    sub.add_parser("summary", help="print rows per layer and rejects").set_defaults(func=_summary)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
