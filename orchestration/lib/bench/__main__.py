import argparse

from orchestration.lib.bench.runner import SCALES, run_bench

parser = argparse.ArgumentParser(prog="python -m orchestration.lib.bench")
parser.add_argument("--scale", choices=sorted(SCALES), default="s")
parser.add_argument(
    "--reuse-landed",
    action="store_true",
    help="keep the last run's generated and landed data at this scale; time the dbt build "
    "(--full-refresh), tests, publish and the incremental day again",
)
args = parser.parse_args()
run_bench(args.scale, reuse_landed=args.reuse_landed)
