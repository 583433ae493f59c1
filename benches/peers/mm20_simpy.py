"""M/M/20 in SimPy 4: the peer of `rpasim run` in the speed comparison.

The model of benches/peers/mm20-500k.toml: 20 bots, Poisson arrivals at 960
an hour, exponential run times of mean 1 minute, 521 hours (about 500,000
runs); one CSV row per run (id, arrival, start, end, wait in seconds).

    python mm20_simpy.py OUT.csv
"""

import csv
import random
import sys

import simpy

HORIZON_S = 521 * 3600
RATE_PER_S = 960 / 3600
MEAN_RUN_S = 60.0


def main(path):
    rng = random.Random(1)
    env = simpy.Environment()
    bots = simpy.Resource(env, capacity=20)
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["run_id", "arrival_s", "start_s", "end_s", "wait_s"])

        def run(i):
            arrival = env.now
            with bots.request() as req:
                yield req
                start = env.now
                yield env.timeout(rng.expovariate(1 / MEAN_RUN_S))
                out.writerow([i, f"{arrival:.3f}", f"{start:.3f}", f"{env.now:.3f}", f"{start - arrival:.3f}"])

        def arrivals():
            i = 0
            while True:
                yield env.timeout(rng.expovariate(RATE_PER_S))
                env.process(run(i))
                i += 1

        env.process(arrivals())
        env.run(until=HORIZON_S)


if __name__ == "__main__":
    main(sys.argv[1])
