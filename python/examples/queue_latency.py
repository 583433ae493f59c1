# %% [markdown]
# # Queue latency of the quickstart, from Python
#
# Run it as a script (`python python/examples/queue_latency.py`, writes
# `queue_latency.png`) or cell by cell in Jupyter / VS Code (`# %%` cells).
# Needs `pip install ./python matplotlib`.

# %%
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; drop this line in a notebook
import matplotlib.pyplot as plt
import numpy as np

import rpasim

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.toml"

# %% The service as it is, and with a third bot on vm-03 (same seed: the
# same runs arrive with the same durations, only the scheduling differs).
today = rpasim.run(SCENARIO)
more = rpasim.run(SCENARIO, set={"machines.vm-03.bots": 3})
today.summary[["target", "wait_mean_s", "wait_p95_s", "utilization"]]

# %% Wait-time distribution per target: share of started runs that waited
# at most x.
fig, ax = plt.subplots(figsize=(9, 5))
for label, result, style in [("today", today, "-"), ("vm-03 with 3 bots", more, "--")]:
    started = result.runs.dropna(subset=["start_s"])
    for target, runs in started.groupby("target", observed=True):
        waits = np.sort(runs["wait_s"].to_numpy())
        share = np.arange(1, len(waits) + 1) / len(waits)
        ax.step(np.maximum(waits / 60, 0.1), share, style, where="post", label=f"{target}, {label}")
ax.set_xscale("log")
ax.set_xlabel("wait (minutes, log scale; waits under 6 s drawn at 0.1)")
ax.set_ylabel("share of started runs")
ax.set_title(f"{today.name}: queue latency")
ax.grid(True, which="both", alpha=0.3)
ax.legend()
fig.tight_layout()
fig.savefig("queue_latency.png", dpi=100)
print("p95 wait (s):", dict(zip(today.summary["target"], today.summary["wait_p95_s"])),
      "->", dict(zip(more.summary["target"], more.summary["wait_p95_s"])))
