"""The Python package's `rpasim.run` with its DataFrames, alternated run by
run between Python environments (each with a build of the package).

    python benches/peers/python_tables.py --python VENV/bin/python [--python OTHER/bin/python]... [--rounds 5]

Each environment has the package installed (`pip install ./python` from the
checkout to measure). Cases, each in a fresh process: the 10,000 targets of
`compare.py targets` with the table of runs and with `runs=False`,
`scenarios/mmc-million.toml` (1,015,000 runs) with the table of runs,
20 runs of the quickstart in one process, and a sweep of the 10,000
targets (two horizons, 6 and 12 hours, 12 replications each: 24
simulations, tables of 1.6 million, 240,000 and 240,000 rows). Reports the median wall time of
the calls (not of starting Python and importing pandas) and the median
peak memory of the process.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import compare  # noqa: E402 (the scenarios of compare.py, from beside it)

# Run by each environment's Python: times the calls after the imports.
CASE = """
import resource, sys, time
import rpasim
scenario, runs = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if runs == "quickstart":
    for seed in range(20):
        rpasim.run(scenario, seed=seed)
elif runs == "sweep":
    rpasim.sweep(scenario, vary={"simulation.horizon": ["6h", "12h"]}, replications=12)
else:
    rpasim.run(scenario, runs=(runs == "runs"))
seconds = time.perf_counter() - start
# ru_maxrss is in KB on Linux and in bytes on macOS.
per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mb)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", action="append", required=True,
                        help="a Python with the package installed (repeat to compare builds)")
    parser.add_argument("--rounds", type=int, default=5, help="alternated runs of each case (default 5)")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    with tempfile.TemporaryDirectory(prefix="rpasim-python-") as scratch:
        ten_k = os.path.join(scratch, "10k.toml")
        with open(ten_k, "w") as f:
            f.write(compare.standalone_targets())
        mmc = os.path.join(REPO, "scenarios", "mmc-million.toml")
        quickstart = os.path.join(REPO, "scenarios", "quickstart.toml")
        cases = [
            ("10,000 targets, runs", ten_k, "runs"),
            ("10,000 targets, runs=False", ten_k, "none"),
            ("mmc-million, runs", mmc, "runs"),
            ("20 quickstart runs", quickstart, "quickstart"),
            ("10,000 targets, sweep", ten_k, "sweep"),
        ]
        results = {}
        for r in range(args.rounds):
            for label, scenario, runs in cases:
                # Each environment first in turn: the first after a pause is slower.
                pythons = args.python if r % 2 == 0 else list(reversed(args.python))
                for python in pythons:
                    out = subprocess.run([python, "-c", CASE, scenario, runs], capture_output=True,
                                         text=True, check=True, cwd=scratch).stdout.split()
                    results.setdefault((label, python), []).append((float(out[0]), float(out[1])))
            print(f"round {r + 1} of {args.rounds} done", file=sys.stderr)
    print(f"medians of {args.rounds} alternated runs")
    for (label, python), values in results.items():
        seconds = statistics.median(v[0] for v in values)
        mb = statistics.median(v[1] for v in values)
        print(f"  {label:<28} {python:<40} {seconds:8.3f} s  {mb:7.0f} MB")


if __name__ == "__main__":
    main()
