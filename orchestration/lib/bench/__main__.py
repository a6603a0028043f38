import argparse

from orchestration.lib.bench.runner import SCALES, run_bench

parser = argparse.ArgumentParser(prog="python -m orchestration.lib.bench")
parser.add_argument("--scale", choices=sorted(SCALES), default="s")
run_bench(parser.parse_args().scale)
