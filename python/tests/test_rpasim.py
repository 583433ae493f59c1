"""The Python package against the command line and hand-computed timelines."""

import csv
import io
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import rpasim

REPO = Path(__file__).resolve().parents[2]
QUICKSTART = REPO / "scenarios" / "quickstart.toml"


def cli():
    """The command line built from the same checkout."""
    path = Path(os.environ.get("RPASIM_BIN", REPO / "target" / "release" / "rpasim"))
    if not path.exists():
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
    return str(path)


def run_quickstart(out, *args):
    """`rpasim run` of the quickstart into `out`, without charts; returns `out`."""
    subprocess.run(
        [cli(), "run", str(QUICKSTART), "--out", str(out), "--no-charts", "-q", *args],
        check=True,
    )
    return out


def test_tables_have_typed_columns():
    r = rpasim.run(QUICKSTART, seed=7)
    assert r.name == "quickstart"
    runs = r.runs
    assert list(runs.columns[:11]) == [
        "run_id", "flow", "target", "priority", "arrival_s", "start_s", "end_s",
        "wait_s", "machine", "bot", "outcome",
    ]
    assert runs["run_id"].dtype == "int64"
    assert runs["flow"].dtype == "category"
    assert runs["wait_s"].dtype == "float64"
    assert runs["bot"].dtype == "Int64"
    assert set(runs["outcome"].cat.categories) <= {"succeeded", "failed", "in_flight", "queue_timeout"}
    assert list(r.summary["target"]) == ["sales", "reporting-pc", "all"]
    assert r.summary["arrivals"].dtype == "int64"
    assert r.summary["wait_p95_s"].dtype == "float64"
    assert r.flows["flow"].dtype == "category"
    assert r.timeseries["queued"].dtype == "int64"
    assert list(r.events.columns) == ["time_s", "event", "target", "machine", "flow", "detail"]
    # The summary's arrivals are the runs.
    assert r.summary.set_index("target").loc["all", "arrivals"] == len(runs)


def test_results_are_the_bytes_of_the_command_line(tmp_path):
    out = run_quickstart(tmp_path / "q", "--set", "machines.vm-03.bots=3", "--seed", "7")
    r = rpasim.run(str(QUICKSTART), set={"machines.vm-03.bots": 3}, seed=7)
    for name in ["runs.csv", "summary.csv", "summary-flows.csv", "timeseries.csv", "events.csv"]:
        assert r.csv[name] == (out / name).read_bytes(), name
    pd.testing.assert_frame_equal(
        r.runs.astype({c: "object" for c in r.runs.select_dtypes("category")}).astype({"bot": "float64"}),
        pd.read_csv(out / "runs.csv", keep_default_na=False, na_values=[""]).astype(
            {"bot": "float64", "priority": "object"}
        ),
        check_dtype=False,
    )
    # Twice the same bytes, from a path, a string and a dict alike.
    again = rpasim.run(QUICKSTART.read_text(), set={"machines.vm-03.bots": 3}, seed=7)
    assert again.csv == r.csv


def test_without_runs_the_other_tables_are_the_command_lines(tmp_path):
    out = run_quickstart(tmp_path / "o", "--seed", "7", "--runs", "none")
    r = rpasim.run(QUICKSTART, seed=7, runs=False)
    assert r.runs is None
    assert "runs.csv" not in r.csv
    for name in ["summary.csv", "summary-flows.csv", "timeseries.csv", "events.csv"]:
        assert r.csv[name] == (out / name).read_bytes(), name
    # The same summary as with the runs kept.
    pd.testing.assert_frame_equal(r.summary, rpasim.run(QUICKSTART, seed=7).summary)
    assert r.summary.set_index("target").loc["all", "arrivals"] > 1000


def test_a_dict_scenario_is_the_toml_scenario():
    as_dict = {
        "simulation": {"horizon": "1d", "seed": 3},
        "machines": [{"name": "pc", "bots": 2}],
        "flows": [{"name": "f", "target": "pc", "duration": {"exponential": {"mean": "20m"}},
                   "arrivals": {"poisson": {"per_hour": 4}}}],
    }
    text = """
[simulation]
horizon = "1d"
seed = 3

[[machines]]
name = "pc"
bots = 2

[[flows]]
name = "f"
target = "pc"
duration = { exponential = { mean = "20m" } }
arrivals = { poisson = { per_hour = 4 } }
"""
    assert rpasim.run(as_dict).csv == rpasim.run(text).csv
    assert rpasim.validate(as_dict).startswith("<dict>: valid") or "valid" in rpasim.validate(as_dict)


def test_a_path_is_a_path_and_a_text_a_text(tmp_path):
    # A file name with a bracket was read as TOML text; a one-line text
    # was looked for as a file.
    odd = tmp_path / "runs[1]"
    odd.mkdir()
    (odd / "q.toml").write_text(QUICKSTART.read_text())
    assert "valid" in rpasim.validate(str(odd / "q.toml"))
    with pytest.raises(rpasim.ScenarioError, match="^<string>:1:1: "):
        rpasim.validate("horizon = 5")
    with pytest.raises(rpasim.ScenarioError, match="cannot read the scenario"):
        rpasim.validate(str(tmp_path / "missing.toml"))


def test_a_dict_s_names_may_hold_any_text():
    # JSON's escapes are not TOML's: an emoji became two surrogate escapes
    # that TOML refuses ("expected unicode hexadecimal value"), and DEL
    # was left unescaped.
    odd = 'f"é\\\x7f\n😀'
    scenario = {
        "simulation": {"horizon": "1d"},
        "machines": [{"name": "pc😀", "bots": 1}],
        "flows": [{"name": odd, "target": "pc😀", "duration": "10m",
                   "arrivals": {"poisson": {"per_hour": 2}}}],
    }
    r = rpasim.run(scenario)
    assert r.summary["target"].tolist() == ["pc😀", "all"]
    assert r.flows["flow"].tolist() == [odd]
    assert rpasim.run(scenario, set={'machines."pc😀".bots': 2}).csv["runs.csv"]
    with pytest.raises(ValueError, match="lone surrogate"):
        rpasim.validate({"simulation": {"horizon": "1d", "name": "a\udc80"}})
    # A key ending in a newline is quoted: written bare, it was "invalid
    # TOML" at a line of a file the user never wrote.
    with pytest.raises(rpasim.ScenarioError, match="did you mean `seed`") as e:
        rpasim.validate({"simulation": {"horizon": "1d", "seed\n": 3}})
    assert e.value.key == "simulation.seed\n"


def test_a_dict_nested_too_deep_is_refused_saying_so():
    # It recursed until Python's RecursionError (or, with a raised
    # recursion limit, past the C stack: a crash of the interpreter).
    deep: dict = {}
    inner = deep
    for _ in range(5000):
        inner["a"] = {}
        inner = inner["a"]
    with pytest.raises(ValueError, match="nested more than 100 tables or lists deep"):
        rpasim.validate({"simulation": {"horizon": "1d"}, "x": deep})
    with pytest.raises(ValueError, match="nested more than 100"):
        rpasim.run(QUICKSTART, set={"simulation.x": deep})


def test_a_value_with_no_toml_form_is_refused_naming_its_key():
    # It read "cannot write NoneType as a TOML value", naming no key.
    flows = [{"name": "f", "target": "pc", "duration": None}]
    with pytest.raises(TypeError, match=r"^flows\[0\]\.duration: None has no TOML form"):
        rpasim.validate({"simulation": {"horizon": "1d"}, "flows": flows})
    with pytest.raises(TypeError, match=r"^simulation\.horizon: None has no TOML form"):
        rpasim.validate({"simulation": {"horizon": None}})
    with pytest.raises(TypeError, match=r"^set machines\.vm-01\.bots: cannot write object"):
        rpasim.run(QUICKSTART, set={"machines.vm-01.bots": object()})
    with pytest.raises(TypeError, match=r"^machines\.vm-01\.bots\[1\]: cannot write object"):
        rpasim.sweep(QUICKSTART, vary={"machines.vm-01.bots": [[1, object()]]})


def test_an_invalid_scenario_raises_scenario_error_with_its_location(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[simulation]\nhorizon = "7d"\n\n[[machines]]\nname = "pc"\nbots = "two"\n')
    with pytest.raises(rpasim.ScenarioError) as info:
        rpasim.run(broken)
    e = info.value
    assert e.file == str(broken)
    assert (e.line, e.column) == (6, 8)
    assert e.key == "machines.pc.bots"
    # The command line's message, word for word.
    done = subprocess.run([cli(), "validate", str(broken)], capture_output=True, text=True)
    assert done.returncode == 2
    assert str(e) in done.stderr
    with pytest.raises(rpasim.ScenarioError) as info:
        rpasim.validate('[simulation]\nhorizon = "7"\n')
    assert (info.value.line, info.value.key) == (2, "simulation.horizon")


def test_a_sweep_summarises_its_replications(tmp_path):
    s = rpasim.sweep(
        QUICKSTART, vary={"machines.vm-03.bots": [1, 2]}, replications=3, jobs=2
    )
    assert len(s.runs) == 2 * 3
    assert list(s.runs["machines.vm-03.bots"]) == [1, 1, 1, 2, 2, 2]
    # What was swept, as a notebook shows it.
    assert (s.vary, s.replications) == ({"machines.vm-03.bots": ["1", "2"]}, 3)
    assert repr(s) == "SweepResult(vary={'machines.vm-03.bots': ['1', '2']}, replications=3)"
    mean = s.summary[(s.summary["target"] == "all") & (s.summary["metric"] == "wait_mean_s")]
    assert list(mean["n"]) == [3, 3]
    by_hand = s.runs.groupby("machines.vm-03.bots")["wait_mean_s"].mean()
    assert list(mean["mean"]) == pytest.approx(list(by_hand), abs=1e-6)
    # The same bytes as the command line's sweep.
    out = tmp_path / "sweep"
    subprocess.run(
        [cli(), "sweep", str(QUICKSTART), "--vary", "machines.vm-03.bots=1,2",
         "--replications", "3", "--out", str(out), "-q"],
        check=True,
    )
    for name in ["sweep.csv", "sweep-summary.csv", "sweep-targets.csv"]:
        assert s.csv[name] == (out / name).read_bytes(), name


# Two single-bot machines in a group, runs of 10 minutes.
GROUP = """
[simulation]
horizon = "2h"

[[machine_groups]]
name = "g"

[[machines]]
name = "a"
group = "g"

[[machines]]
name = "b"
group = "g"

[[flows]]
name = "f"
target = "g"
duration = "10m"
arrivals = { at = ["0s", "0s", "1h"] }
"""


def test_a_python_selection_policy_chooses_the_machines():
    seen = []

    def prefer_b(candidates):
        seen.append([c["machine"] for c in candidates])
        names = [c["machine"] for c in candidates]
        return names.index("b") if "b" in names else 0

    r = rpasim.run(GROUP, selection=prefer_b)
    # By hand: at 0 both are free, b is taken; the second run at 0 has only
    # a left; at 1 h both are free again, b is taken.
    assert list(r.runs["machine"]) == ["b", "a", "b"]
    # The candidates are the machines with a free bot, in no set order.
    assert [sorted(c) for c in seen] == [["a", "b"], ["a"], ["a", "b"]]
    assert list(r.runs["wait_s"]) == [0.0, 0.0, 0.0]


# One bot: a blocker runs 0-5 m; a 30-minute run queues at 1 m and a
# 10-minute one at 2 m.
QUEUE = """
[simulation]
horizon = "2h"

[[machines]]
name = "pc"

[[flows]]
name = "blocker"
target = "pc"
duration = "5m"
arrivals = { at = ["0s"] }

[[flows]]
name = "long"
target = "pc"
duration = "30m"
arrivals = { at = ["1m"] }

[[flows]]
name = "short"
target = "pc"
duration = "10m"
arrivals = { at = ["2m"] }
"""


def test_a_python_queue_discipline_orders_the_queue():
    text = QUEUE
    fifo = rpasim.run(text).runs.set_index("flow")["wait_s"]
    # By hand, first come first served: long starts at 5 m (waited 4 m),
    # short at 35 m (waited 33 m).
    assert (fifo["long"], fifo["short"]) == (240.0, 1980.0)
    sjf = rpasim.run(text, discipline=lambda run: int(run["duration_s"])).runs.set_index("flow")["wait_s"]
    # Shortest first: short starts at 5 m (waited 3 m), long at 15 m (14 m).
    assert (sjf["long"], sjf["short"]) == (840.0, 180.0)


# M/M/20 for 10 days, about 230,000 runs on ten machines of two bots.
MMC_10_DAYS = {"scenario": REPO / "scenarios" / "mmc-million.toml", "set": {"simulation.horizon": "10d"}}


def test_a_failing_policy_stops_the_run_and_raises():
    calls = []

    def failing(candidates):
        calls.append(len(candidates))
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        rpasim.run(**MMC_10_DAYS, selection=failing, runs=False)
    # Not asked again once it failed: the run stopped there, where it used
    # to go on to the horizon (230,000 more calls) before raising.
    assert calls == [10]
    with pytest.raises(ValueError, match="selection returned 7; expected an int index below 2"):
        rpasim.run(GROUP, selection=lambda candidates: 7)
    # What it returned is named, whatever it is.
    for returned in [-1, 10**30, 1.0, None, "0"]:
        with pytest.raises(ValueError, match=f"selection returned {re.escape(repr(returned))};"):
            rpasim.run(GROUP, selection=lambda candidates: returned)
    with pytest.raises(ValueError, match=r"discipline returned \(1, 2, 3\); expected an int or a pair"):
        rpasim.run(QUEUE, discipline=lambda run: (1, 2, 3))
    with pytest.raises(ZeroDivisionError):
        rpasim.run(QUEUE, discipline=lambda run: 1 // 0)
    with pytest.raises(ValueError, match="an int or a pair of ints"):
        rpasim.run(QUEUE, discipline=lambda run: "soon")


def test_ctrl_c_stops_a_run():
    import _thread

    calls = 0

    def first(candidates):
        nonlocal calls
        calls += 1
        if calls == 1000:
            _thread.interrupt_main()  # as Ctrl-C does
        return 0

    with pytest.raises(KeyboardInterrupt):
        rpasim.run(**MMC_10_DAYS, selection=first, runs=False)
    assert calls == 1000
    # Nothing is left behind: the next run is whole.
    assert len(rpasim.run(GROUP).runs) == 3


def test_ctrl_c_stops_a_sweep_and_leaves_no_files(tmp_path, monkeypatch):
    import _thread
    import tempfile
    import threading

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    sizes = []
    returned = threading.Event()

    def interrupt_after_the_first_result():
        # The log's size when the first result is in it, then its size
        # until the sweep has returned (its directory removed by then); a
        # sweep that fails before any result does not leave this waiting.
        while not returned.is_set():
            for log in tmp_path.glob("rpasim-sweep-*/sweep/results.log"):
                try:
                    size = log.stat().st_size
                except OSError:  # removed meanwhile
                    continue
                if size and not sizes:
                    _thread.interrupt_main()
                if size:
                    sizes.append(size)

    watcher = threading.Thread(target=interrupt_after_the_first_result)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # 100 jobs of about 230,000 runs each.
            rpasim.sweep(**MMC_10_DAYS, vary={"machines.m01.bots": [1]}, replications=100, jobs=2)
    finally:
        returned.set()
        watcher.join()
    # Stopped within a few jobs (each job's result is about as long as the
    # first); the sweep's temporary directory is gone.
    assert sizes and max(sizes) < 10 * sizes[0], (sizes[0], max(sizes))
    assert list(tmp_path.iterdir()) == []


def test_a_run_reports_its_progress_and_a_failing_progress_function_stops_it(capsys):
    times = []
    forty_days = {"scenario": MMC_10_DAYS["scenario"], "set": {"simulation.horizon": "40d"}, "runs": False}
    r = rpasim.run(**forty_days, progress=times.append)
    # 40 days of about 920,000 runs: reported as it went, then at the end.
    horizon = 40 * 86400.0
    assert len(times) >= 2 and times[-1] == {"simulated_s": horizon, "horizon_s": horizon}
    simulated = [t["simulated_s"] for t in times]
    assert simulated == sorted(set(simulated)) and 0 < simulated[0] < horizon
    # The same tables as without it.
    assert r.csv == rpasim.run(**forty_days).csv
    rpasim.run(GROUP, progress=True)
    assert capsys.readouterr().err == "\rrpasim.run: 100 % of the horizon simulated\n"

    def failing(counts):
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        rpasim.run(**forty_days, progress=failing)  # told first on the way
    with pytest.raises(ZeroDivisionError):
        rpasim.run(GROUP, progress=failing)  # told only at its end


def test_a_sweep_reports_its_progress_on_the_callers_thread():
    import threading

    def sweep(progress):
        # 40 jobs of about 70,000 runs each, on 2 threads: several reports
        # 50 ms apart.
        return rpasim.sweep(
            REPO / "scenarios" / "mmc-million.toml", set={"simulation.horizon": "3d"},
            vary={"machines.m01.bots": [1, 2]}, replications=20, jobs=2, progress=progress,
        )

    def record(calls):
        def progress(counts):
            calls.append((threading.get_ident(), dict(counts)))
        return progress

    for caller in ("main", "another thread"):
        calls = []
        if caller == "main":
            sweep(record(calls))
            me = threading.get_ident()
        else:
            # Off the main thread no signal is asked for, but progress is.
            worker = threading.Thread(target=sweep, args=(record(calls),))
            worker.start()
            worker.join()
            me = worker.ident
        assert len(calls) >= 2 and all(thread == me for thread, _ in calls), caller
        counts = [c for _, c in calls]
        # The last call tells the end; counts only grow; totals never move.
        assert counts[-1] == {"simulations_done": 40, "simulations_total": 40,
                              "variants_done": 2, "variants_total": 2}, caller
        for before, after in zip(counts, counts[1:]):
            assert before != after
            assert all(before[k] <= after[k] for k in after), (before, after)
        assert {(c["simulations_total"], c["variants_total"]) for c in counts} == {(40, 2)}


def test_a_plan_reports_its_progress_and_true_shows_it(capsys):
    calls = []
    question = {"scenario": QUICKSTART, "search": {"machines.vm-03.bots": "1..6"}, "goals": "sales.wait_p95_s<=2h"}
    p = rpasim.plan(**question, progress=calls.append)
    assert p.evaluated > 1
    assert calls[-1] == {"candidates_evaluated": p.evaluated, "simulations": p.simulations}
    rpasim.plan(**question, progress=True)
    rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [1, 2]}, replications=2, progress=True)
    err = capsys.readouterr().err
    # Each rewrites its line, and ends it when it returns.
    assert err.endswith(
        f"rpasim.plan: {p.evaluated} candidates evaluated, {p.simulations} simulations\n"
        "\rrpasim.sweep: 4/4 simulations, 2/2 variants done\n"
    ), err
    assert err.startswith("\rrpasim.plan: "), err
    # Nothing is shown by default, or for False.
    rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [1]}, progress=False)
    rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [1]})
    assert capsys.readouterr().err == ""


def test_a_failing_progress_function_stops_the_sweep_and_leaves_no_files(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = []

    def failing(counts):
        calls.append(counts["simulations_done"])
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        # 100 jobs of about 230,000 runs each: stopped after a few.
        rpasim.sweep(**MMC_10_DAYS, vary={"machines.m01.bots": [1]}, replications=100, jobs=2,
                     progress=failing)
    # Not called again once it failed; the sweep's directory is gone.
    assert len(calls) == 1 and calls[0] < 100
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="progress must be True, False, None or a function of one dict; got int"):
        rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [1]}, progress=5)
    assert list(tmp_path.iterdir()) == []


def test_arguments_are_refused_in_pythons_terms():
    goal = ["all.wait_p95_s<=1h"]
    search = {"machines.vm-03.bots": "1..3"}
    refused = {
        "seed must be a whole number from 0 to 9223372036854775807; got -1":
            lambda: rpasim.sweep(QUICKSTART, vary=search, seed=-1),
        "seed must be a whole number from 0 to 9223372036854775807; got 9223372036854775808":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, seed=2**63),
        "seed must be a whole number from 0 to 9223372036854775807; got 1.5":
            lambda: rpasim.run(QUICKSTART, seed=1.5),
        "more replications give more seeds, and seed= another base":
            lambda: rpasim.sweep(QUICKSTART, vary={"simulation.seed": range(1, 4)}),
        'raise the limit if this is meant (set={"limits.max_output_mb": N})':
            lambda: rpasim.sweep(QUICKSTART, vary=search, replications=1000,
                                 set={"limits.max_output_mb": 1}),
        "confidence must be above 0.5 and at most 0.999":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, confidence=1.5),
        "replications=(MIN, MAX) needs 2 <= MIN <= MAX":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, replications=(1, 1)),
        'nothing to search: give search={KEY: VALUES}, e.g. {"machines.vm-01.bots": "1..10"}':
            lambda: rpasim.plan(QUICKSTART, search={}, goals=goal),
        'no goal: give goals=["NAME.METRIC<=VALUE"], or [[goals]] in the scenario':
            lambda: rpasim.plan(QUICKSTART, search=search),
        'goals: "all.wait_p95_s<=soon": "soon" is not a duration':
            lambda: rpasim.plan(QUICKSTART, search=search, goals=["all.wait_p95_s<=soon"]),
        # A goal that more capacity makes harder: the search would say that
        # nothing meets where a cheaper setting does.
        "goal all.bot_hours <= 900: more capacity raises bot_hours":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=["all.bot_hours<=900"]),
        "5000 worker threads (jobs); at most":
            lambda: rpasim.sweep(QUICKSTART, vary=search, jobs=5000),
        # Counts are whole numbers: 1.5 was cut to 1, -1 and 2**40 said
        # "out of range integral type conversion attempted".
        "replications must be a whole number from 1 to 4294967295; got 1.5":
            lambda: rpasim.sweep(QUICKSTART, vary=search, replications=1.5),
        "replications must be a whole number from 1 to 4294967295; got -1":
            lambda: rpasim.sweep(QUICKSTART, vary=search, replications=-1),
        "replications must be a whole number from 1 to 4294967295; got 1099511627776":
            lambda: rpasim.sweep(QUICKSTART, vary=search, replications=2**40),
        "jobs must be a whole number from 0":
            lambda: rpasim.sweep(QUICKSTART, vary=search, jobs=-1),
        "replications must be (MIN, MAX), e.g. (5, 50); got 5":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, replications=5),
        "replications' MIN must be a whole number from 0 to 4294967295; got 2.5":
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, replications=(2.5, 4)),
        # A key both varied (or searched) and set: its set value would be
        # replaced in every variant.
        'vary machines.vm-03.bots: also given a fixed value (machines.vm-03.bots=2, from set=)':
            lambda: rpasim.sweep(QUICKSTART, vary=search, set={"machines.vm-03.bots": 2}),
        'search machines.vm-03.bots: also given a fixed value (machines.vm-03.bots=2, from set=)':
            lambda: rpasim.plan(QUICKSTART, search=search, goals=goal, set={"machines.vm-03.bots": 2}),
        # Nothing varied is refused, as the command line refuses it.
        'nothing to vary: give vary={KEY: VALUES}, e.g. {"machines.vm-01.bots": "1..10"}':
            lambda: rpasim.sweep(QUICKSTART, vary={}),
    }
    for message, call in refused.items():
        with pytest.raises(ValueError) as e:
            call()
        assert message in str(e.value)
        assert "--" not in str(e.value), str(e.value)
    # A dict is asked for where one is expected, not its keys' characters.
    with pytest.raises(TypeError, match="vary must be a dict of KEY: VALUES"):
        rpasim.sweep(QUICKSTART, vary="machines.vm-03.bots")
    # One goal given as a text is that goal.
    one = rpasim.plan(QUICKSTART, search=search, goals=goal[0], replications=(2, 2))
    assert one.csv == rpasim.plan(QUICKSTART, search=search, goals=goal, replications=(2, 2)).csv
    # The largest seed is taken.
    assert rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [2]}, seed=rpasim._rpasim.MAX_SEED).runs["seed"].size == 1


def test_tables_are_bounded_as_the_files_are():
    # 86,400 runs: about 8 MB of runs.csv, against a limit of 1 MB.
    scenario = """
[simulation]
horizon = "1d"

[limits]
max_output_mb = 1

[[machines]]
name = "m"

[[flows]]
name = "storm"
target = "m"
duration = "1m"
arrivals = { every = "1s" }
"""
    with pytest.raises(rpasim.ScenarioError, match="mostly runs.csv") as e:
        rpasim.run(scenario)
    assert e.value.key == "flows.storm.arrivals"
    # validate refuses what run refuses, as the command line's does.
    with pytest.raises(rpasim.ScenarioError, match="mostly runs.csv"):
        rpasim.validate(scenario)
    # Without the table of runs, what is left is within the limit.
    r = rpasim.run(scenario, runs=False)
    assert r.runs is None and int(r.summary["arrivals"].iloc[-1]) == 86_400


def test_a_scenario_text_is_bounded_as_a_file_is():
    text = QUICKSTART.read_text() + "#" * (8 << 20)
    with pytest.raises(rpasim.ScenarioError, match="more than the 8 MB rpasim reads"):
        rpasim.validate(text)


def test_numpy_values_timedeltas_and_range_texts_are_what_they_look_like():
    import datetime

    import numpy as np

    plain = rpasim.run(QUICKSTART, set={"machines.vm-03.bots": 3, "simulation.horizon": "2d"}, seed=5)
    typed = rpasim.run(
        QUICKSTART,
        set={"machines.vm-03.bots": np.int64(3), "simulation.horizon": datetime.timedelta(days=2)},
        seed=np.uint32(5),
    )
    assert typed.csv == plain.csv
    rate = rpasim.run(QUICKSTART, set={"flows.invoices.arrivals.poisson.per_hour": np.float64(12.5)})
    assert rate.csv == rpasim.run(QUICKSTART, set={"flows.invoices.arrivals.poisson.per_hour": 12.5}).csv
    # A range text is the command line's range, as plan's search takes it.
    by_text = rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": "1..3"})
    by_numpy = rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": np.arange(1, 4)})
    assert list(by_text.runs["machines.vm-03.bots"]) == [1, 2, 3]
    assert by_text.csv == by_numpy.csv
    # Timedeltas are duration texts, as one would write them (not quoted
    # TOML strings, quotes and all in the tables).
    spans = [datetime.timedelta(minutes=5), datetime.timedelta(hours=1, minutes=30), datetime.timedelta(seconds=1.5)]
    by_timedelta = rpasim.sweep(QUICKSTART, vary={"simulation.sample_every": spans}, set={"simulation.horizon": "1d"})
    assert list(by_timedelta.runs["simulation.sample_every"]) == ["5m", "1h30m", "1s500ms"]
    by_words = rpasim.sweep(QUICKSTART, vary={"simulation.sample_every": "5m,1h30m,1s500ms"}, set={"simulation.horizon": "1d"})
    assert by_timedelta.csv == by_words.csv
    assert [rpasim._duration_text(datetime.timedelta(d)) for d in (0, 2, -1)] == ["0s", "2d", "-1d"]
    # A value with commas stays one value (plan's search joined them).
    with pytest.raises(ValueError) as e:
        rpasim.plan(
            QUICKSTART,
            search={"flows.invoices.duration": [{"exponential": {"mean": "5m"}}, {"uniform": {"min": "1m", "max": "2m"}}]},
            goals=["all.wait_p95_s<=1h"],
        )
    assert str(e.value).startswith('search value "{ exponential = { mean = \\"5m\\" } }" is not a number')


def erlang_c_mean_wait(c, lam, mu):
    """Mean wait in queue of M/M/c (Erlang C), seconds when rates are per second."""
    a = lam / mu
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c
    p_wait = last * c / (c - a) / (total + last * c / (c - a))
    return p_wait / (c * mu - lam)


MMC = """
[simulation]
seed = 11
horizon = "2d"
sample_every = "1d"

[limits]
max_bots_per_machine = 64
queue_capacity = 1000000
queue_timeout = "none"

[[machines]]
name = "pool"
bots = 1

[[flows]]
name = "work"
target = "pool"
duration = { exponential = { mean = "1m" } }
arrivals = { poisson = { per_hour = 960 } }
"""


def test_a_plan_finds_erlang_cs_answer_as_the_command_line_does(tmp_path):
    lam, mu = 960 / 3600, 1 / 60
    # A threshold between the mean waits of 19 and 20 bots: 20 is the answer.
    threshold = (erlang_c_mean_wait(20, lam, mu) * erlang_c_mean_wait(19, lam, mu)) ** 0.5
    goal = f"all.wait_mean_s<={threshold}"
    p = rpasim.plan(MMC, search={"machines.pool.bots": "17..40"}, goals=[goal])
    assert p.answer == {"machines.pool.bots": 20}
    assert p.scenario is not None and "bots = 20" in p.scenario
    assert 0 < p.evaluated <= 2 * 5 + 4 and p.not_monotone == 0
    # 95 % over the looks at 5, 10, 20, 40 and 50 replications: each
    # look's bounds at 99 %, as answer.toml says.
    assert (p.confidence, p.looks) == (0.95, [5, 10, 20, 40, 50])
    assert abs(p.bound_confidence - 0.99) < 1e-12
    assert "bound_confidence = 0.99\n" in p.answer_toml and "looks = [5, 10, 20, 40, 50]\n" in p.answer_toml
    # plan.csv: the evaluated candidates, in the order they were evaluated.
    assert len(p.plan) == p.evaluated and list(p.plan["evaluated"]) == list(range(1, p.evaluated + 1))
    assert set(p.plan["machines.pool.bots"]) <= set(range(17, 41)) and 20 in set(p.plan["machines.pool.bots"])
    # The command line, on the same scenario file: the same plan.csv.
    scenario = tmp_path / "s.toml"
    scenario.write_text(MMC)
    out = tmp_path / "p"
    subprocess.run(
        [cli(), "plan", str(scenario), "--search", "machines.pool.bots=17..40",
         "--goal", goal, "--out", str(out), "-q"],
        check=True,
    )
    from_file = rpasim.plan(scenario, search={"machines.pool.bots": range(17, 41)}, goals=[goal])
    assert from_file.answer == p.answer
    assert from_file.csv["plan.csv"] == (out / "plan.csv").read_bytes()
    assert from_file.csv["plan.csv"] == p.csv["plan.csv"]


def test_the_gil_is_released_while_simulating():
    # About 200,000 runs: long enough for the main thread to do Python
    # work meanwhile, which it cannot while a thread holds the GIL.
    import threading

    scenario = MMC.replace("per_hour = 960", "per_hour = 3600").replace('"2d"', '"2d2h"')
    done = []
    worker = threading.Thread(target=lambda: done.append(rpasim.run(scenario, set={"machines.pool.bots": 64})))
    ticks = 0
    worker.start()
    while worker.is_alive():
        ticks += 1
    worker.join()
    assert len(done[0].runs) > 150_000
    # Held, the main thread would get the GIL only between Python calls of
    # the worker (a handful of times); released, it loops all the while.
    assert ticks > 10_000, ticks


def _read_by_pandas(monkeypatch, data, inferred=()):
    """``_frame`` of `data` with the native reader turned off: pandas'
    ``read_csv``, as every table was read before the native reader."""
    with monkeypatch.context() as m:
        m.setattr(rpasim._rpasim, "columns", lambda data, kinds: None)
        return rpasim._frame(data, inferred)


def _watch_native_reads(monkeypatch):
    """A list to which every later call of the native reader appends
    whether it read the table (True) or left it to pandas."""
    read, natively = rpasim._rpasim.columns, []

    def watched(data, kinds):
        columns = read(data, kinds)
        natively.append(columns is not None)
        return columns

    monkeypatch.setattr(rpasim._rpasim, "columns", watched)
    return natively


def _assert_same_frame(native, by_pandas, where):
    pd.testing.assert_frame_equal(native, by_pandas, check_exact=True, check_categorical=True, obj=where)
    for column in by_pandas.select_dtypes("category"):
        # Sorted texts, of the same type (str or object, by pandas' version).
        assert native[column].cat.categories.dtype == by_pandas[column].cat.categories.dtype, (where, column)


@pytest.mark.parametrize("scenario", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_tables_read_natively_are_what_pandas_reads(monkeypatch, scenario):
    # mmc-million's runs.csv (85 MB) is read in parts on a machine of
    # several cores: the parts' columns put end to end, against pandas.
    r = rpasim.run(scenario)
    natively = 0
    for name, data in r.csv.items():
        frame = rpasim._frame(data)
        natively += rpasim._rpasim.columns(data, [str(t) for t in frame.dtypes]) is not None
        _assert_same_frame(frame, _read_by_pandas(monkeypatch, data), f"{scenario.stem} {name}")
    # Not left to pandas: runs.csv and timeseries.csv at least are read natively.
    assert natively >= 2, scenario.stem


def test_tables_with_quoted_names_and_no_rows_are_what_pandas_reads(monkeypatch):
    scenario = """
[simulation]
horizon = "%s"
seed = 3

[[machines]]
name = "p,c \\"x\\""
bots = 1

[[flows]]
name = "f, é"
target = "p,c \\"x\\""
duration = { exponential = { mean = "20m" } }
arrivals = { poisson = { per_hour = 4 } }
"""
    for horizon in ["1ms", "1d"]:
        r = rpasim.run(scenario % horizon)
        for name, data in r.csv.items():
            _assert_same_frame(rpasim._frame(data), _read_by_pandas(monkeypatch, data), f"{horizon} {name}")
    assert list(r.runs["machine"].cat.categories) == ['p,c "x"']
    assert len(r.runs) > 50


def test_what_the_native_reader_cannot_vouch_for_is_left_to_pandas(monkeypatch):
    # shared-desk's summary holds "inf" (a start p95 of runs that never
    # started): pandas reads it as infinity.
    data = rpasim.run(REPO / "scenarios" / "shared-desk.toml").csv["summary.csv"]
    summary = rpasim._frame(data)
    assert rpasim._rpasim.columns(data, [str(t) for t in summary.dtypes]) is None
    assert (summary["start_p95_s"] == float("inf")).any()
    _assert_same_frame(summary, _read_by_pandas(monkeypatch, data), "shared-desk summary.csv")


def test_tables_read_natively_can_be_changed():
    runs = rpasim.run(QUICKSTART, seed=7).runs
    runs.loc[0, "wait_s"] = 5.0
    runs.loc[0, "bot"] = None
    runs["run_id"] += 1
    assert runs.loc[0, "wait_s"] == 5.0 and pd.isna(runs.loc[0, "bot"]) and runs.loc[0, "run_id"] == 1


def test_names_that_look_like_numbers_stay_texts(monkeypatch):
    # pandas 3.1's read_csv(dtype="category") makes numbers of numeric
    # texts: machines "007" and "7" would be one category, 7.
    scenario = """
[simulation]
horizon = "1d"
seed = 5

[[machine_groups]]
name = "10"

[[machines]]
name = "007"
group = "10"
bots = 1

[[machines]]
name = "7"
group = "10"
bots = 1

[[flows]]
name = "42"
target = "10"
duration = { exponential = { mean = "30m" } }
arrivals = { poisson = { per_hour = 3 } }
"""
    r = rpasim.run(scenario)
    assert list(r.runs["machine"].cat.categories) == ["007", "7"]
    assert list(r.runs["flow"].cat.categories) == ["42"]
    assert set(r.runs["machine"].dropna()) == {"007", "7"}
    for name, data in r.csv.items():
        _assert_same_frame(rpasim._frame(data), _read_by_pandas(monkeypatch, data), name)
    assert list(r.summary["target"]) == ["10", "all"]


def test_a_sweeps_tables_read_natively_are_what_pandas_reads(monkeypatch):
    # Varied keys of every type pandas infers: integers, decimals, texts,
    # and two linked keys.
    vary = {
        "machines.vm-03.bots": [1, 3],
        "flows.invoices.arrivals.poisson.per_hour": [20, 32.5],
        "simulation.warmup|simulation.sample_every": ["0s|5m", "1h|1h"],
    }
    s = rpasim.sweep(QUICKSTART, vary=vary, replications=2, set={"simulation.horizon": "2d"})
    keys = ["machines.vm-03.bots", "flows.invoices.arrivals.poisson.per_hour", "simulation.warmup", "simulation.sample_every"]
    for name, data in s.csv.items():
        natively = _watch_native_reads(monkeypatch)
        frame = rpasim._frame(data, keys)
        assert natively[-1] or name == "sweep.csv", name
        _assert_same_frame(frame, _read_by_pandas(monkeypatch, data, keys), name)
        assert frame.equals(getattr(s, {"sweep.csv": "runs"}.get(name, name[6:-4]))), name
    assert s.summary["machines.vm-03.bots"].dtype == "int64"
    assert s.summary["flows.invoices.arrivals.poisson.per_hour"].dtype == "float64"
    # The last key varies fastest.
    assert list(s.runs["simulation.warmup"]) == ["0s", "0s", "1h", "1h"] * 4
    assert list(s.runs["simulation.sample_every"]) == ["5m", "5m", "1h", "1h"] * 4


def test_a_column_typed_by_pandas_is_typed_alike_when_read_natively(monkeypatch):
    # Whatever texts a varied key's column holds (empty fields, quoted
    # commas, words pandas reads as booleans, integers beyond 64 bits),
    # its type and values are those pandas gives the whole column.
    columns = {
        "ints": ["3", "1", "3", "2"],
        "ints with an empty field": ["3", "", "1", "3"],
        "decimals": ["0.5", "2", "1e3", "0.5"],
        "booleans": ["True", "False", "True", "True"],
        "texts": ['a,"b"', "10m", "", "7"],
        "huge": ["18446744073709551616", "1", "2", "1"],
        "empty": ["", "", "", ""],
    }
    for what, texts in columns.items():
        table = io.StringIO()
        csv.writer(table, lineterminator="\n").writerows(
            [("variant", "k", "target", "n")] + [(i, t, f"t{i % 2}", i) for i, t in enumerate(texts)]
        )
        data = table.getvalue().encode()
        native = rpasim._frame(data, ["k"])
        assert rpasim._rpasim.columns(data, ["int64", "category", "category", "int64"]) is not None, what
        _assert_same_frame(native, _read_by_pandas(monkeypatch, data, ["k"]), what)


def test_a_varied_key_naming_a_machine_with_a_comma_is_read_natively(monkeypatch):
    # The header quotes the key's column; split at every comma, it gave
    # the native reader more names than columns, and pandas read the table.
    scenario = """
[simulation]
horizon = "1d"

[[machines]]
name = "p,c"
bots = 1

[[flows]]
name = "f"
target = "p,c"
duration = "10m"
arrivals = { poisson = { per_hour = 3 } }
"""
    key = 'machines."p,c".bots'
    s = rpasim.sweep(scenario, vary={key: [1, 2]})
    assert list(s.runs[key]) == [1, 2]
    for name, data in s.csv.items():
        natively = _watch_native_reads(monkeypatch)
        frame = rpasim._frame(data, [key])
        assert natively == [True] or name == "sweep.csv", name
        _assert_same_frame(frame, _read_by_pandas(monkeypatch, data, [key]), name)


def test_tab_completion_offers_the_packages_own_names():
    names = dir(rpasim)
    assert names == sorted(rpasim.__all__ + ["Scenario", "Progress", "__version__"])
    assert "np" not in names and "Any" not in names
    # Every name offered is there.
    for name in names:
        getattr(rpasim, name)


HISTORY = REPO / "scenarios" / "history" / "history.csv"


def test_an_import_writes_what_the_command_line_writes(tmp_path):
    import datetime

    r = rpasim.import_history(HISTORY, tmp_path / "py")
    subprocess.run([cli(), "import", str(HISTORY), "--out", str(tmp_path / "cli"), "-q"], check=True)
    files = sorted(p.relative_to(tmp_path / "cli") for p in (tmp_path / "cli").rglob("*") if p.is_file())
    assert Path("replay.toml") in files and Path("calibration.html") in files
    assert files == sorted(p.relative_to(r.out) for p in r.out.rglob("*") if p.is_file())
    for f in files:
        assert (r.out / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    # What the console says, as values.
    assert (r.runs, r.open, r.attended, r.duplicates, r.unknown_status) == (701, 0, 0, 0, 0)
    assert (r.replay, r.scenario, r.page) == (r.out / "replay.toml", r.out / "scenario.toml", r.out / "calibration.html")
    assert len(r.verdicts) == 2 and all(v.split(":")[0] in ("invoices", "nightly") for v in r.verdicts)
    assert r.machines[0] == "machine f-01: 1 bot, in group finance" and len(r.machines) == 4
    assert list(r.calibration["flow"]) == ["invoices", "nightly"]
    assert list(r.calibration["runs_observed"]) == [659, 42] and r.calibration["runs_observed"].dtype == "int64"
    # The replay runs the history's runs again.
    assert int(rpasim.run(r.replay).summary.set_index("target").loc["all", "arrivals"]) == 701
    # A window and a flow (dates, datetimes and texts alike); an earlier
    # import in the way is replaced.
    start = datetime.datetime(2026, 3, 3)
    window = rpasim.import_history(HISTORY, tmp_path / "py", start=start, flows="invoices")
    assert window.out == r.out and 0 < window.runs < 659
    assert rpasim.import_history(HISTORY, tmp_path / "w", start="2026-03-03T00:00:00Z", flows=["invoices"]).runs == window.runs
    assert list(window.calibration["flow"]) == ["invoices"]


def test_an_import_refuses_bad_input_in_pythons_terms(tmp_path):
    def refused(error, match, **kwargs):
        with pytest.raises(error, match=match):
            rpasim.import_history(kwargs.pop("history", HISTORY), kwargs.pop("out", tmp_path / "out"), **kwargs)

    refused(ValueError, "^start: not an ISO 8601 date or timestamp", start="yesterday")
    refused(ValueError, r"start 2026-03-05T00:00:00Z is not before end 2026-03-04T00:00:00Z: .*\(end is the first", start="2026-03-05", end="2026-03-04")
    refused(ValueError, 'flows: no run of flow "nope" in the history', flows=["nope"])
    refused(TypeError, "start must be an ISO 8601 text, a date or a datetime; got int", start=5)
    refused(TypeError, "flows must be a flow's name or a list of names", flows=[1])
    # A file that is not a history: located, its content not echoed.
    refused(ValueError, r"README.md:1: not a run history: no createdon column", history=REPO / "README.md")
    # A directory of other files is left as it was.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused(ValueError, "is not a file of an rpasim import", out=mine)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"] and (mine / "notes.txt").read_text() == "keep me"
    assert not (tmp_path / "out").exists()


BASELINE = REPO / "reports" / "baselines" / "quickstart.summary.csv"


def test_a_check_is_the_command_lines(tmp_path):
    same = rpasim.check(BASELINE, rpasim.run(QUICKSTART))
    assert same.passed and (same.worse, same.unclear) == (0, 0) and same.comparisons == 39
    fewer_bots = rpasim.run(QUICKSTART, set={"machines.vm-03.bots": 1})
    c = rpasim.check(BASELINE, fewer_bots)
    assert not c.passed and c.worse == 8 and c.comparisons == 39
    cli_check = subprocess.run(
        [cli(), "check", "--baseline", str(BASELINE), str(QUICKSTART), "--set", "machines.vm-03.bots=1"],
        capture_output=True, text=True,
    )
    assert cli_check.returncode == 1 and cli_check.stdout == c.report
    worse = c.changes[c.changes["verdict"] == "worse"]
    assert len(worse) == 8 and set(worse["row"]) == {"sales", "all"}
    (row,) = [r for r in c.changes.to_dict("records") if (r["row"], r["metric"]) == ("sales", "bot_hours")]
    assert (row["baseline"], row["current"], row["change"], row["verdict"]) == (1008.0, 840.0, "-16.7%", "better")
    # The same from the summary's bytes or its file.
    assert rpasim.check(BASELINE, fewer_bots.csv["summary.csv"]).report == c.report
    (tmp_path / "now.csv").write_bytes(fewer_bots.csv["summary.csv"])
    assert rpasim.check(BASELINE, tmp_path / "now.csv").report == c.report
    # Only the metrics given a tolerance are checked.
    loose = rpasim.check(BASELINE, fewer_bots, tolerance={"wait_p95_s": "25%", "queue_full": 3})
    assert loose.passed and loose.comparisons == 6
    # A flows' baseline is compared with the run's flows.
    flows = tmp_path / "quickstart.summary-flows.csv"
    flows.write_bytes(rpasim.run(QUICKSTART).csv["summary-flows.csv"])
    of_flows = rpasim.check(flows, fewer_bots)
    assert not of_flows.passed and set(of_flows.changes["row"]) <= {"invoices", "urgent-refunds", "nightly-reconciliation", "weekly-report", "all"}
    assert of_flows.comparisons > 0 and not set(of_flows.changes["row"]) & {"sales", "reporting-pc"}


def test_a_sweeps_check_has_p_values_and_bad_input_is_refused(tmp_path):
    baseline = tmp_path / "sweep-summary.csv"
    before = rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [2]}, replications=5)
    baseline.write_bytes(before.csv["sweep-summary.csv"])
    assert rpasim.check(baseline, before).passed
    after = rpasim.sweep(QUICKSTART, vary={"machines.vm-03.bots": [2]}, replications=5,
                         set={"machines.vm-02.bots": 1})
    c = rpasim.check(baseline, after)
    assert not c.passed
    assert c.changes.loc[c.changes["verdict"] == "worse", "p"].between(0, 0.05).all()
    # A run against a sweep's baseline, a baseline where nothing arrived,
    # a file that is not a summary, a current of another type.
    with pytest.raises(ValueError, match="summaries of different kinds"):
        rpasim.check(baseline, rpasim.run(QUICKSTART))
    empty = tmp_path / "empty.csv"
    nothing = rpasim.run(GROUP.replace('arrivals = { at = ["0s", "0s", "1h"] }', "arrivals = { poisson = { per_hour = 0.0001 } }"))
    assert int(nothing.summary["arrivals"].sum()) == 0
    empty.write_bytes(nothing.csv["summary.csv"])
    with pytest.raises(ValueError, match="no run arrived in the baseline"):
        rpasim.check(empty, nothing)
    with pytest.raises(ValueError, match="README.md"):
        rpasim.check(REPO / "README.md", nothing)
    with pytest.raises(TypeError, match="current must be a Result, a SweepResult"):
        rpasim.check(baseline, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="tolerance queue_full"):
        rpasim.check(baseline, after, tolerance={"queue_full": None})  # type: ignore[dict-item]


def test_a_history_saved_by_pandas_imports(tmp_path):
    # Read, cleaned and saved with pandas: "2026-03-02 02:00:00.000000001+00:00",
    # nanoseconds written as pandas writes datetime64[ns] (refused at 7 digits).
    history = pd.read_csv(HISTORY)
    for column in ("createdon", "startedon", "completedon"):
        history[column] = pd.to_datetime(history[column], utc=True) + pd.Timedelta(nanoseconds=1)
    # A missing code makes its column floats: "4.0", "2.0" (every run was
    # of an unknown status, replayed as succeeded).
    succeeded = history.index[(history["statuscode"] == 4) & (history["runmode"] == 2)]
    history.loc[succeeded[0], "statuscode"] = None
    history.loc[succeeded[1], "runmode"] = None
    saved = tmp_path / "history.csv"
    history.to_csv(saved, index=False)
    text = saved.read_text()
    assert ".000000001+00:00" in text and ",4.0,2.0," in text, text[:300]
    imported = rpasim.import_history(saved, tmp_path / "out")
    original = rpasim.import_history(HISTORY, tmp_path / "original")
    assert (imported.runs, imported.unknown_status) == (701, 1)
    assert imported.calibration.equals(original.calibration)
    # As JSON records: a bare array of runs, read as the Web API's "value".
    history.to_json(tmp_path / "history.json", orient="records", date_format="iso")
    assert (tmp_path / "history.json").read_text().startswith('[{"flowsessionid":1000,')
    # Dates as pandas wrote them by default, milliseconds since 1970 (its
    # "epoch" format, deprecated since): told how to write them.
    iso = (tmp_path / "history.json").read_text()
    epoch = iso.replace('"createdon":"2026-03-02T02:00:00.000Z"', '"createdon":1772416800000', 1)
    assert epoch != iso
    (tmp_path / "epoch.json").write_text(epoch)
    with pytest.raises(ValueError, match='run 1 of "value": not an ISO 8601 timestamp: "1772416800000"; a number'):
        rpasim.import_history(tmp_path / "epoch.json", tmp_path / "epoch")
    as_json = rpasim.import_history(tmp_path / "history.json", tmp_path / "json")
    assert (as_json.runs, as_json.unknown_status) == (701, 1)
    assert as_json.calibration.equals(original.calibration)
