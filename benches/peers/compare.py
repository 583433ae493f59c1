"""Speed comparisons of rpasim's whole process, alternated run by run.

This machine's speed (a virtual machine) moves by up to half between
hours, so only figures measured together compare: every command of a
comparison runs once per round, in turn, and the medians are reported.

    python benches/peers/compare.py simpy --rpasim BINARY [--rpasim OTHER]... [--rounds 15]
    python benches/peers/compare.py targets --rpasim BINARY [--rpasim OTHER]... [--rounds 11]
    python benches/peers/compare.py scale --rpasim BINARY [--rpasim OTHER]... [--rounds 5]
    python benches/peers/compare.py parts --rpasim BINARY [--rounds 5]
    python benches/peers/compare.py sweep --rpasim BINARY [--rpasim OTHER]... [--rounds 7]

BINARY is an rpasim binary: target/release/rpasim, target/dist/rpasim.

`simpy`: M/M/20 at utilization 0.8, about 500,000 runs, every output
(`mm20-500k.toml`), against the same model in SimPy 4 writing one CSV row
per run (`mm20_simpy.py`; needs `pip install simpy`).

`targets`: 10,000 standalone machines with one flow each (about 960,000
runs over 5 days) against one pool of 20 one-bot machines with as many
runs, both `--no-charts`; the scenarios are generated into the scratch
directory.

`scale`: the same runs spread over 20, 100, 1,000, 3,000 and 10,000
standalone machines with a flow each (each busy 13.3 % of the time), and
the pool, all `--no-charts`: where the time per run leaves the caches.

`parts`: the 10,000 targets of `targets` cut into ten scenarios of 1,000
targets each, run one after another (their total), against the whole and
the pool: what a partitioned engine could give at best, each part's state
in the cache and nothing merged. Also one part with a horizon of 1 ms:
what a part's process costs before any run.

`sweep`: 1,000 jobs of the quickstart scenario (10 values of one machine's
bots, 100 replications each) on one thread (`--jobs 1`).

Each reports the median wall time and peak memory of every command (peak
memory on Linux and macOS). Every output goes to a scratch directory of
its own, removed at the end.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Numbers of targets of the `scale` comparison.
SCALE_TARGETS = (20, 100, 1000, 3000, 10_000)


def standalone_targets(n=10_000, machines=None, horizon="5d"):
    """`n` one-bot machines, each the target of its own flow, for 5 days:
    8,000 runs an hour in all (about 960,000), each machine busy 13.3 % of
    the time. For 10,000: 0.8 runs an hour of 10 minutes on average.
    `machines` (a range) keeps only those machines of the `n`: a part of
    the scenario, with the same streams (they are named after the flows)."""
    mean_ms = 60 * n
    mean = f"{mean_ms // 60_000}m" if mean_ms % 60_000 == 0 else f"{mean_ms}ms"
    parts = [f'[simulation]\nseed = 1\nhorizon = "{horizon}"\nsample_every = "1h"\n']
    for m in machines if machines is not None else range(n):
        parts.append(
            f'\n[[machines]]\nname = "vm{m:05}"\nbots = 1\n\n'
            f'[[flows]]\nname = "f{m:05}"\ntarget = "vm{m:05}"\n'
            f"duration = {{ exponential = {{ mean = \"{mean}\" }} }}\n"
            f"arrivals = {{ poisson = {{ per_hour = {8000 / n:g} }} }}\n"
        )
    return "".join(parts)


def one_pool():
    """As many runs on one target: 20 one-bot machines in a group, 8,000
    runs an hour of 8.1 s on average (utilization 0.9), for 5 days."""
    parts = [
        '[simulation]\nseed = 1\nhorizon = "5d"\nsample_every = "1h"\n\n'
        '[[machine_groups]]\nname = "pool"\n\n'
        '[[flows]]\nname = "work"\ntarget = "pool"\n'
        'duration = { exponential = { mean = "8100ms" } }\n'
        "arrivals = { poisson = { per_hour = 8000 } }\n"
    ]
    for m in range(20):
        parts.append(f'\n[[machines]]\nname = "m{m}"\ngroup = "pool"\nbots = 1\n')
    return "".join(parts)


def quickstart_sweep():
    """1,000 jobs of the bundled quickstart scenario."""
    scenario = os.path.join(HERE, "..", "..", "scenarios", "quickstart.toml")
    return (
        f"scenario = {json.dumps(os.path.abspath(scenario))}\n"
        "replications = 100\n"
        'metrics = ["wait_p95_s", "bot_hours"]\n\n'
        "[vary]\n"
        '"machines.vm-03.bots" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n'
    )


def timed(command):
    """Wall time in seconds and peak resident memory in MB of one command.

    The files earlier commands wrote are flushed to disk first (not timed),
    so that no command pays for the kernel writing back another's files
    (its flusher wakes every few seconds). It does not remove all of the
    penalty of the command run first after SimPy (10 to 30 % on this
    machine): compare binaries in both orders."""
    if hasattr(os, "sync"):
        os.sync()
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with status {child.returncode}")
    # ru_maxrss is in KB on Linux and in bytes on macOS.
    per_mb = 1024 * 1024 if sys.platform == "darwin" else 1024
    return seconds, usage.ru_maxrss / per_mb


def alternate(commands, rounds):
    """Runs every (label, command) once per round, in turn; returns the
    medians of time and memory per label."""
    times = {label: [] for label, _ in commands}
    memory = {label: [] for label, _ in commands}
    for r in range(rounds):
        for label, command in commands:
            seconds, mb = timed(command)
            times[label].append(seconds)
            memory[label].append(mb)
        print(f"round {r + 1} of {rounds} done", file=sys.stderr)
    return {
        label: (statistics.median(times[label]), statistics.median(memory[label]))
        for label in times
    }


def print_medians(medians, rounds):
    print(f"medians of {rounds} alternated runs")
    for label, (seconds, mb) in medians.items():
        print(f"  {label:<48} {seconds:8.4f} s  {mb:7.1f} MB")


def compare_simpy(binaries, rounds, scratch):
    commands = [("simpy", [sys.executable, os.path.join(HERE, "mm20_simpy.py"),
                           os.path.join(scratch, "simpy.csv")])]
    for i, binary in enumerate(binaries):
        out = os.path.join(scratch, f"rpasim-{i}")
        command = [binary, "run", os.path.join(HERE, "mm20-500k.toml"), "--out", out, "--quiet"]
        commands.append((f"rpasim {binary}", command))
    medians = alternate(commands, rounds)
    print_medians(medians, rounds)
    simpy = medians["simpy"][0]
    for label, (seconds, _) in medians.items():
        if label != "simpy":
            print(f"  {label}: {simpy / seconds:.1f} times as fast as SimPy")


def run_scenarios(binaries, texts, rounds, scratch):
    """Writes each (name, scenario text) once, runs every binary on each
    (`--no-charts`) in alternation, prints the medians and returns them,
    labelled "NAME BINARY"."""
    scenarios = {}
    for name, text in texts.items():
        scenarios[name] = os.path.join(scratch, f"{name.replace(' ', '-')}.toml")
        with open(scenarios[name], "w") as f:
            f.write(text)
    commands = []
    for i, binary in enumerate(binaries):
        for name, scenario in scenarios.items():
            out = f"{scenario[:-len('.toml')]}-{i}"
            command = [binary, "run", scenario, "--out", out, "--quiet", "--no-charts"]
            commands.append((f"{name} {binary}", command))
    medians = alternate(commands, rounds)
    print_medians(medians, rounds)
    return medians


def compare_targets(binaries, rounds, scratch):
    texts = {"10k": standalone_targets(), "pool": one_pool()}
    medians = run_scenarios(binaries, texts, rounds, scratch)
    for binary in binaries:
        ten_k, pool = medians[f"10k {binary}"][0], medians[f"pool {binary}"][0]
        print(f"  {binary}: 10,000 targets take {ten_k / pool:.2f} times one pool's time")


def compare_scale(binaries, rounds, scratch):
    texts = {"pool": one_pool()}
    for n in SCALE_TARGETS:
        texts[f"{n} targets"] = standalone_targets(n)
    medians = run_scenarios(binaries, texts, rounds, scratch)
    for binary in binaries:
        pool = medians[f"pool {binary}"][0]
        ratios = ", ".join(
            f"{n}: {medians[f'{n} targets {binary}'][0] / pool:.2f}" for n in SCALE_TARGETS
        )
        print(f"  {binary}: time against one pool's, by number of targets: {ratios}")


def compare_parts(binaries, rounds, scratch):
    binary = binaries[0]
    if len(binaries) > 1:
        sys.exit("parts compares one binary's ways of running one scenario: give one --rpasim")
    texts = {"pool": one_pool(), "10k": standalone_targets()}
    for k in range(10):
        texts[f"part {k}"] = standalone_targets(machines=range(k * 1000, (k + 1) * 1000))
    texts["empty part"] = standalone_targets(machines=range(1000), horizon="1ms")
    commands = {}
    for name, text in texts.items():
        scenario = os.path.join(scratch, f"{name.replace(' ', '-')}.toml")
        with open(scenario, "w") as f:
            f.write(text)
        out = scenario[: -len(".toml")]
        commands[name] = [binary, "run", scenario, "--out", out, "--quiet", "--no-charts"]
    times = {label: [] for label in ("pool", "10k", "ten parts", "empty part")}
    for r in range(rounds):
        times["pool"].append(timed(commands["pool"])[0])
        times["10k"].append(timed(commands["10k"])[0])
        times["ten parts"].append(sum(timed(commands[f"part {k}"])[0] for k in range(10)))
        times["empty part"].append(timed(commands["empty part"])[0])
        print(f"round {r + 1} of {rounds} done", file=sys.stderr)
    print(f"medians of {rounds} alternated rounds ({binary})")
    medians = {label: statistics.median(t) for label, t in times.items()}
    for label, seconds in medians.items():
        print(f"  {label:<12} {seconds:8.4f} s")
    work = medians["ten parts"] - 10 * medians["empty part"]
    print(f"  the ten parts' own work (less ten empty parts): {work:.4f} s, "
          f"{work / medians['pool']:.2f} times the pool's time")


def compare_sweep(binaries, rounds, scratch):
    sweep = os.path.join(scratch, "sweep.toml")
    with open(sweep, "w") as f:
        f.write(quickstart_sweep())
    commands = []
    for i, binary in enumerate(binaries):
        out = os.path.join(scratch, f"sweep-{i}")
        command = [binary, "sweep", sweep, "--jobs", "1", "--out", out, "--quiet"]
        commands.append((f"sweep {binary}", command))
    print_medians(alternate(commands, rounds), rounds)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("comparison", choices=["simpy", "targets", "scale", "parts", "sweep"])
    parser.add_argument("--rpasim", action="append", required=True,
                        help="an rpasim binary (repeat to compare builds)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="alternated runs of each command "
                        "(default 15 for simpy, 11 for targets, 5 for scale and parts, 7 for sweep)")
    args = parser.parse_args()
    rounds = args.rounds or {"simpy": 15, "targets": 11, "scale": 5, "parts": 5, "sweep": 7}[args.comparison]
    if rounds < 1:
        sys.exit("--rounds must be at least 1")
    binaries = [os.path.abspath(b) for b in args.rpasim]
    for b in binaries:
        if not os.access(b, os.X_OK):
            sys.exit(f"{b} is not an executable (build it with cargo build --release)")
    if len(set(binaries)) != len(binaries):
        sys.exit("each --rpasim binary once: the same binary twice would be one command")
    if args.comparison == "simpy":
        try:
            import simpy  # noqa: F401 (only its presence is checked here)
        except ImportError:
            sys.exit("the simpy comparison needs SimPy: pip install simpy")
    scratch = tempfile.mkdtemp(prefix="rpasim-compare-")
    try:
        compare = {
            "simpy": compare_simpy,
            "targets": compare_targets,
            "scale": compare_scale,
            "parts": compare_parts,
            "sweep": compare_sweep,
        }
        compare[args.comparison](binaries, rounds, scratch)
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
