"""rpasim from Python: how many bots do we need, and what happens to queue
latency if...?

The same core as the command line, in memory (no temporary files for a
run): ``run`` returns the tables ``rpasim run`` writes, as pandas
DataFrames with typed columns, and the same bytes (``Result.csv``).
Simulation releases the GIL; a sweep uses all cores.

    >>> import rpasim
    >>> r = rpasim.run("scenarios/quickstart.toml", set={"machines.vm-03.bots": 3}, seed=7)
    >>> r.summary[["target", "wait_p95_s"]]

A scenario is a path (a ``pathlib.Path``, or a ``str`` naming a file that
exists, or holding no newline, ``[`` or ``=``), a TOML string or a dict
shaped like the TOML file; trace
files named in a string or dict scenario are found from the current
directory (from its own directory for a file).
Invalid scenarios raise ``ScenarioError`` with the command line's message
and the ``file``, ``line``, ``column`` and ``key`` of the first problem.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import math
import numbers
import os
import re
import sys
import tempfile
from csv import reader as _csv_reader, writer as _csv_writer
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _rpasim
from ._rpasim import ScenarioError

__all__ = [
    "run", "sweep", "plan", "check", "validate", "import_history", "Result", "SweepResult",
    "PlanResult", "CheckResult", "ImportResult", "ScenarioError",
]
__version__ = "0.1.0"

Scenario = Union[str, "os.PathLike[str]", Mapping[str, Any]]
# What ``run``, ``sweep`` and ``plan`` report their progress to: a function
# of a dict of counts (or, for a run, of simulated seconds), True for a
# line on stderr, or nothing.
Progress = Union[bool, Callable[[Dict[str, Any]], Any], None]


def __dir__() -> List[str]:
    """What ``dir(rpasim)`` and a notebook's tab completion offer: the
    package's own names, not the modules and types it imports (``np``,
    ``os``, ``Any``...)."""
    return sorted([*__all__, "Scenario", "Progress", "__version__"])


# Columns read as categories; every other column is numeric.
_TEXT = {
    "flow", "target", "priority", "machine", "outcome", "event", "detail",
    "environment", "metric", "key",
}
# Integer columns that are never empty.
_INT = {
    "run_id", "attempts", "arrivals", "succeeded", "failed", "queue_full",
    "queue_timeout", "run_timeout", "in_flight", "cold_starts", "machine_lost",
    "group_empty", "group_expired", "certificate_expired", "access_denied",
    "cancelled", "started", "machine_expired", "not_started", "queued",
    "running", "bots_ready", "bots_provisioning", "bots_busy",
    "hosted_capacity_used", "hosted_capacity_free", "replication", "variant",
    "seed", "n", "runs_observed", "runs_replayed", "runs_fitted",
}
# Integer columns that may be empty (pandas' nullable Int64).
_NULLABLE_INT = {"bot"}


def _frame(data: bytes, inferred: Sequence[str] = ()) -> pd.DataFrame:
    """A CSV table of rpasim as a DataFrame with stable column types
    (``inferred`` columns, a sweep's varied keys, typed by pandas).

    Text columns are categories of the texts, sorted. pandas' own
    ``dtype="category"`` does not keep to that: since 3.1 it makes numbers
    of numeric texts (a machine named "007" and one named "7" became one
    category), and before, in a large file, it appended each chunk's new
    texts unsorted. So pandas reads text as text, made categories here.

    Read by the native module into typed columns when it can vouch that
    pandas would read the same values (a million runs' table two to three
    times as fast as pandas reads it, in less memory; an ``inferred``
    column as texts, typed as pandas types its distinct texts); otherwise
    by pandas."""
    # A varied key's name may hold a comma, quoted in the header.
    header = next(_csv_reader([data.split(b"\n", 1)[0].decode("utf-8")])) if data else []
    dtype: Dict[str, Any] = {}
    for name in header:
        if name in inferred:
            continue
        if name in _TEXT:
            dtype[name] = "category"
        elif name in _INT:
            dtype[name] = "int64"
        elif name in _NULLABLE_INT:
            dtype[name] = "Int64"
        else:
            dtype[name] = "float64"
    if not header:
        return pd.DataFrame()
    if len(set(header)) == len(header):
        columns = _rpasim.columns(data, [dtype.get(name, "category") for name in header])
        if columns is not None:
            return pd.DataFrame(
                {
                    name: _inferred(*c) if name in inferred else _column(*c)
                    for name, c in zip(header, columns)
                },
                copy=False,
            )
    text = [name for name, t in dtype.items() if t == "category"]
    frame = pd.read_csv(
        io.BytesIO(data), dtype={**dtype, **{name: str for name in text}}, keep_default_na=False, na_values=[""]
    )
    return frame.astype({name: "category" for name in text}) if text else frame


def _column(kind: str, values: bytearray, extra: Any = None) -> Any:
    """A column of ``_rpasim.columns`` as numpy or pandas array (numpy
    reads the native module's buffers without copying them)."""
    if kind == "int64":
        return np.frombuffer(values, dtype="<i8").astype(np.int64, copy=False)
    if kind == "float64":
        return np.frombuffer(values, dtype="<f8").astype(np.float64, copy=False)
    if kind == "Int64":
        return pd.arrays.IntegerArray(
            np.frombuffer(values, dtype="<i8").astype(np.int64, copy=False),
            np.frombuffer(extra, dtype=np.bool_),
        )
    codes = np.frombuffer(values, dtype="<i4").astype(np.int32, copy=False)
    # No text at all: categories of the type pandas gives texts (str since
    # pandas 3, object before), as for a column of texts.
    categories = extra if extra else pd.Index([], dtype=_TEXT_INDEX)
    return pd.Categorical.from_codes(codes, categories=categories)


def _inferred(_kind: str, values: bytearray, texts: Sequence[str]) -> pd.Series:
    """A column whose type pandas infers (a sweep's varied key), read by
    the native module as a category: pandas reads its distinct texts (and
    an empty field, if the column has one) as a column of their own, which
    gives the type and values pandas gives the whole column (its inference
    depends on which texts occur, not on how often); each row then takes
    its text's value."""
    codes = np.frombuffer(values, dtype="<i4")
    missing = bool((codes < 0).any())
    table = io.StringIO()
    # A second, empty column: an empty field of a one-column file would be
    # a blank line, which pandas skips.
    _csv_writer(table, lineterminator="\n").writerows(
        [("v", "_")] + [(t, "") for t in texts] + ([("", "")] if missing else [])
    )
    table.seek(0)
    typed = pd.read_csv(table, keep_default_na=False, na_values=[""])["v"]
    rows = np.where(codes < 0, len(texts), codes) if missing else codes
    return typed.take(rows).reset_index(drop=True)


# The type of an index of texts in this version of pandas.
_TEXT_INDEX = pd.Index(["text"]).dtype


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _np_bool_types() -> Tuple[type, ...]:
    """numpy's bool type when numpy is loaded (it is not a ``bool``, nor
    registered with ``numbers``)."""
    np = sys.modules.get("numpy")
    return (np.bool_,) if np is not None else ()


def _toml_string(s: str) -> str:
    """A TOML basic string. Not JSON's: JSON writes a character beyond
    U+FFFF (an emoji) as two surrogate escapes, which TOML refuses, and
    leaves DEL unescaped, which TOML refuses too."""
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"{s!r} holds a lone surrogate (U+{code:04X}), which is not text TOML can hold")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(k: str) -> str:
    # fullmatch: `$` also matches before a final newline, and "vm\n" was
    # written bare, a TOML error at the next line.
    return k if _BARE_KEY.fullmatch(k) else _toml_string(k)


# Deeper values are refused: rpasim's TOML reader stops well before, and
# writing them recursed until Python's RecursionError.
_MOST_NESTED = 100


def _toml_value(v: Any, depth: int = 0, key: str = "") -> str:
    """A Python value as a TOML value (inline). Numbers of any kind that
    registers with ``numbers`` (numpy's among them) are numbers, and a
    ``datetime.timedelta`` is a duration in milliseconds. ``key`` names the
    value in messages (``flows[0].duration``)."""
    if depth > _MOST_NESTED:
        raise ValueError(
            f"a value nested more than {_MOST_NESTED} tables or lists deep cannot be "
            "written as a scenario's TOML"
        )
    if isinstance(v, (bool, _np_bool_types())):
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        x = float(v)
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)
    if isinstance(v, datetime.timedelta):
        return _toml_string(f"{round(v / datetime.timedelta(milliseconds=1))}ms")
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, Mapping):
        inner = (
            f"{_key(str(k))} = {_toml_value(x, depth + 1, _dotted(key, str(k)))}"
            for k, x in v.items()
        )
        return "{ " + ", ".join(inner) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x, depth + 1, f"{key}[{i}]") for i, x in enumerate(v)) + "]"
    where = f"{key}: " if key else ""
    if v is None:
        raise TypeError(f"{where}None has no TOML form: leave the key out for its default")
    raise TypeError(f"{where}cannot write {type(v).__name__} as a TOML value")


def _dotted(key: str, name: str) -> str:
    """``name`` under ``key``, for messages."""
    return f"{key}.{name}" if key else name


def _toml_document(d: Mapping[str, Any]) -> str:
    """A dict shaped like a scenario file as TOML text."""
    lines: List[str] = []
    tables: List[str] = []
    for k, v in d.items():
        if isinstance(v, Mapping):
            tables.append(f"[{_key(k)}]")
            tables.extend(
                f"{_key(str(kk))} = {_toml_value(vv, key=f'{k}.{kk}')}" for kk, vv in v.items()
            )
            tables.append("")
        elif isinstance(v, (list, tuple)) and v and all(isinstance(x, Mapping) for x in v):
            for i, entry in enumerate(v):
                tables.append(f"[[{_key(k)}]]")
                tables.extend(
                    f"{_key(str(kk))} = {_toml_value(vv, key=f'{k}[{i}].{kk}')}"
                    for kk, vv in entry.items()
                )
                tables.append("")
        else:
            lines.append(f"{_key(k)} = {_toml_value(v, key=str(k))}")
    return "\n".join(lines + [""] + tables)


def _source(scenario: Scenario) -> Tuple[Optional[str], str]:
    """(text or None, source path) of a scenario given as path, text or dict."""
    if isinstance(scenario, Mapping):
        return _toml_document(scenario), "<dict>"
    if isinstance(scenario, os.PathLike):
        return None, os.fspath(scenario)
    if isinstance(scenario, str):
        # A file that exists is a path, whatever its name holds ("runs[1].toml"
        # was read as TOML text); otherwise a newline, a table or a key's "="
        # makes a TOML text, and anything else a path that is not there.
        if "\n" not in scenario and os.path.isfile(scenario):
            return None, scenario
        if "\n" in scenario or "[" in scenario or "=" in scenario:
            return scenario, "<string>"
        return None, scenario
    raise TypeError("a scenario is a path, a TOML string or a dict")


def _scenario_file(scenario: Scenario, tmp: str) -> Path:
    """The scenario as a file, for the runners that read it again for each
    variant: its own path, or the text written into ``tmp``."""
    text, source = _source(scenario)
    if text is None:
        return Path(source).resolve()
    path = Path(tmp) / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _seed(seed: Optional[int]) -> Optional[int]:
    """A seed as rpasim takes it (a whole number from 0 to what a TOML
    integer holds), or None."""
    return None if seed is None else _whole("seed", seed, 0, _rpasim.MAX_SEED)


def _whole(name: str, value: Any, least: int, most: int = 2**32 - 1) -> int:
    """A count given to rpasim: a whole number (numpy's too) from ``least``
    to ``most`` (what the native call takes; it checks its own limits
    below that): ``1.5`` was cut to 1, and ``-1`` said only "out of range
    integral type conversion attempted"."""
    whole = not isinstance(value, (bool, _np_bool_types())) and isinstance(value, numbers.Integral)
    if not whole or not least <= value <= most:
        raise ValueError(f"{name} must be a whole number from {least} to {most}; got {value!r}")
    return int(value)


def _jobs(jobs: Optional[int]) -> Optional[int]:
    """Worker threads: None or 0 for every core."""
    return None if jobs is None else _whole("jobs", jobs, 0)


def _replication_range(replications: Any) -> Tuple[int, int]:
    """A plan's ``(MIN, MAX)`` replications, as whole numbers."""
    if isinstance(replications, (str, bytes)) or not isinstance(replications, Sequence) or len(replications) != 2:
        raise ValueError(f"replications must be (MIN, MAX), e.g. (5, 50); got {replications!r}")
    return (_whole("replications' MIN", replications[0], 0), _whole("replications' MAX", replications[1], 0))


def _progress_line(what: str, p: Mapping[str, Any]) -> str:
    """The line ``progress=True`` shows for a run's, a sweep's or a plan's
    progress."""
    if "horizon_s" in p:
        share = p["simulated_s"] / p["horizon_s"] if p["horizon_s"] > 0 else 1.0
        return f"rpasim.{what}: {100 * share:.0f} % of the horizon simulated"
    if "simulations_total" in p:
        return (f"rpasim.{what}: {p['simulations_done']}/{p['simulations_total']} simulations, "
                f"{p['variants_done']}/{p['variants_total']} variants done")
    return f"rpasim.{what}: {p['candidates_evaluated']} candidates evaluated, {p['simulations']} simulations"


@contextlib.contextmanager
def _progress(progress: Progress, what: str) -> Iterator[Optional[Callable[[Dict[str, Any]], Any]]]:
    """The function a run, a sweep or a plan reports its progress to: the
    caller's, for True one that rewrites a line on stderr (ended by a
    newline when the call returns or raises), or None."""
    if isinstance(progress, (bool, np.bool_)) or progress is None:
        if not progress:
            yield None
            return
        shown = False

        def show(counts: Dict[str, Any]) -> None:
            nonlocal shown
            shown = True
            sys.stderr.write("\r" + _progress_line(what, counts))
            sys.stderr.flush()

        try:
            yield show
        finally:
            if shown:
                sys.stderr.write("\n")
                sys.stderr.flush()
        return
    if not callable(progress):
        raise TypeError(
            f"progress must be True, False, None or a function of one dict; got {type(progress).__name__}"
        )
    yield progress


def _keyed(name: str, value: Any, example: str) -> Mapping[str, Any]:
    """A dict of keys to values (``vary``, ``search``), not empty."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a dict of KEY: VALUES, e.g. {example}; got {type(value).__name__}")
    if not value:
        raise ValueError(f"nothing to {name}: give {name}={{KEY: VALUES}}, e.g. {example}")
    return value


def _overrides(set: Optional[Mapping[str, Any]], seed: Optional[int]) -> List[str]:
    """--set KEY=VALUE texts from a dict of dotted keys and Python values."""
    out = [f"{k}={_toml_value(v, key=f'set {k}')}" for k, v in (set or {}).items()]
    if seed is not None:
        out.append(f"simulation.seed={_seed(seed)}")
    return out


@dataclass
class Result:
    """The outcome of ``run``: the command line's tables as DataFrames.

    ``summary`` (summary.csv, one row per target and ``all``), ``flows``
    (summary-flows.csv), ``runs`` (runs.csv, one row per run; None for a
    run made with ``runs=False``), ``timeseries`` and ``events``;
    ``csv[name]`` holds the bytes the command line writes to ``name``.
    """

    name: str
    csv: Dict[str, bytes] = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    flows: pd.DataFrame = field(repr=False)
    runs: Optional[pd.DataFrame] = field(repr=False)
    timeseries: pd.DataFrame = field(repr=False)
    events: pd.DataFrame = field(repr=False)


_FILES = {
    "runs": "runs.csv",
    "summary": "summary.csv",
    "flows": "summary-flows.csv",
    "timeseries": "timeseries.csv",
    "events": "events.csv",
}


def run(
    scenario: Scenario,
    set: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    selection: Optional[Callable[[List[Dict[str, Any]]], int]] = None,
    discipline: Optional[Callable[[Dict[str, Any]], Union[int, Tuple[int, int]]]] = None,
    runs: bool = True,
    progress: Progress = None,
) -> Result:
    """Simulates a scenario and returns its tables.

    ``set`` overrides values by dotted key as ``--set`` does
    (``{"machines.vm-03.bots": 3}``); ``seed`` is ``simulation.seed``.
    ``runs=False`` keeps no table of runs (``Result.runs`` is None, as
    ``rpasim run --runs none`` writes no runs.csv): for the summaries alone
    of runs too many to hold, memory then does not grow with their number.

    ``selection`` replaces every target's machine-selection policy with a
    Python function: given the candidate machines (a list of dicts with
    ``machine``, ``free_bots``, ``bots``, ``last_assigned_s``), it returns
    the index of the chosen one (a target with one machine asks no policy).
    ``discipline`` replaces every queue's
    order: given a queued run (a dict with ``run_id``, ``flow``,
    ``priority``, ``arrival_s``, ``enqueued_s``, ``duration_s``), it
    returns its rank, an int or a pair of ints; smaller runs first, equal
    ranks in enqueue order. Python policies are called once per decision
    (much slower than the built-in ones) and keep the run deterministic as
    long as they are (no clock, no unseeded randomness). An exception
    raised by a policy stops the run (the policy is not called again) and
    is raised here; so is Ctrl-C's ``KeyboardInterrupt``, within a few
    milliseconds of simulation.

    ``progress`` is told how far the simulation is: a function, called on
    the caller's thread about every 50 ms and once at the end, with a dict
    of ``simulated_s`` and ``horizon_s`` (seconds); ``True`` shows the
    share of the horizon simulated on a line of stderr. An exception it
    raises stops the run and is raised here.
    """
    text, source = _source(scenario)
    with _progress(progress, "run") as report:
        tables = _rpasim.run(text, source, _overrides(set, seed), selection, discipline, runs, report)
    # Each table's bytes, in the order of _FILES; runs.csv's absent with
    # runs=False.
    data = {k: v for k in _FILES for v in [tables[k]] if isinstance(v, bytes)}
    runs_table = data.get("runs")
    return Result(
        name=str(tables["name"]),
        csv={_FILES[k]: v for k, v in data.items()},
        summary=_frame(data["summary"]),
        flows=_frame(data["flows"]),
        runs=None if runs_table is None else _frame(runs_table),
        timeseries=_frame(data["timeseries"]),
        events=_frame(data["events"]),
    )


def validate(scenario: Scenario, set: Optional[Mapping[str, Any]] = None) -> str:
    """Checks a scenario; returns a one-line description of a valid one,
    raises ``ScenarioError`` (file, line, column, key) otherwise, or if
    ``run`` would refuse it (its tables beyond ``[limits] max_output_mb``),
    as ``rpasim validate`` does."""
    text, source = _source(scenario)
    return _rpasim.validate(text, source, _overrides(set, None))


@dataclass
class SweepResult:
    """The outcome of ``sweep``: ``runs`` (sweep.csv, one row per variant and
    replication), ``summary`` (sweep-summary.csv: mean and 95 % confidence
    interval of each metric per variant and target), ``targets``
    (sweep-targets.csv) and ``flows`` (sweep-flows.csv), as DataFrames;
    ``csv[name]`` holds the bytes. The varied keys' columns are typed by
    pandas (numbers, or text for categorical values). ``vary`` holds each
    varied key's values as the texts the sweep ran (linked keys as one
    key, ``"a|b"``), and ``replications`` the replications of each."""

    csv: Dict[str, bytes] = field(repr=False)
    runs: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    targets: pd.DataFrame = field(repr=False)
    flows: pd.DataFrame = field(repr=False)
    vary: Dict[str, List[str]] = field(default_factory=dict)
    replications: int = 0


def _vary_values(key: str, values: Union[str, Sequence[Any]]) -> List[str]:
    """A varied key's values as ``--vary`` texts: a range or list text
    (``"1..10"``, ``"5..50:5"``, ``"1,2,4"``) as the command line reads it,
    or each value of a sequence (``_vary_text``)."""
    if isinstance(values, str):
        return _rpasim.vary_values(f"{key}={values}")
    return [_vary_text(v, key) for v in values]


def _vary_text(v: Any, key: str = "") -> str:
    """One value of a varied key as the text ``--vary`` takes and the
    tables show: a text as it is, a ``datetime.timedelta`` as a duration
    text (``"1h30m"``; as TOML it would be a quoted string, quotes and all
    in the tables), anything else as TOML."""
    if isinstance(v, str):
        return v
    if isinstance(v, datetime.timedelta):
        return _duration_text(v)
    return _toml_value(v, key=key)


def _duration_text(v: datetime.timedelta) -> str:
    """A timedelta, to the millisecond, as a duration text of days, hours,
    minutes, seconds and milliseconds (``"1h30m"``, ``"1s500ms"``, ``"0s"``);
    a negative one with a minus sign, which rpasim refuses."""
    ms = round(v / datetime.timedelta(milliseconds=1))
    if ms == 0:
        return "0s"
    parts, rest = [], abs(ms)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return ("-" if ms < 0 else "") + "".join(parts)


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]],
    replications: int = 1,
    seed: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    jobs: Optional[int] = None,
    progress: Progress = None,
) -> SweepResult:
    """Runs a scenario for every combination of the ``vary`` values with
    ``replications`` replications each (common random numbers), on ``jobs``
    threads (all cores by default, never more than the cores available),
    as ``rpasim sweep`` does; returns its
    tables. A key's values are a list or a range text as ``--vary`` takes
    it (``"1..10"``, ``"5..50:5"``). Keys linked with ``|`` move together
    (``{"a|b": ["12|10", "18|16"]}``). The sweep's results log is kept in a temporary directory
    while it runs, then removed; a scenario given as a string or a dict is
    written there, so give a path for a scenario with trace files. A sweep
    that would write more than the scenario's ``[limits] max_output_mb``
    (1,024 unless raised, ``set={"limits.max_output_mb": 2000}``) is refused
    with ``ValueError`` before it runs, as is one that varies
    ``simulation.seed`` (each replication sets it: more ``replications``
    give more seeds).

    ``progress`` is told how far the sweep is: a function, called on the
    caller's thread about every 50 ms while counts change and once at the
    end, with a dict of ``simulations_done``, ``simulations_total``,
    ``variants_done`` and ``variants_total``; ``True`` shows them on a line
    of stderr. An exception it raises stops the sweep and is raised here."""
    with _progress(progress, "sweep") as report, tempfile.TemporaryDirectory(prefix="rpasim-sweep-") as tmp:
        path = _scenario_file(scenario, tmp)
        vary = _keyed("vary", vary, '{"machines.vm-01.bots": "1..10"}')
        values = [(k, _vary_values(k, vs)) for k, vs in vary.items()]
        replications = _whole("replications", replications, 1)
        out = Path(tmp) / "sweep"
        _rpasim.sweep(
            str(path), values, replications, _seed(seed),
            _overrides(set, None), str(out), _jobs(jobs), report,
        )
        names = {
            "runs": "sweep.csv",
            "summary": "sweep-summary.csv",
            "targets": "sweep-targets.csv",
            "flows": "sweep-flows.csv",
        }
        csv = {f: (out / f).read_bytes() for f in names.values()}
    # Linked keys ("a|b") are a column each.
    keys = [name for k, _ in values for name in k.split("|")]
    return SweepResult(
        csv=csv, **{k: _frame(csv[f], keys) for k, f in names.items()},
        vary=dict(values), replications=replications,
    )


def _setting(text: str) -> Tuple[str, Any]:
    """A ``KEY=VALUE`` override as a key and a Python value."""
    key, value = text.split("=", 1)
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = json.loads(value)
    return key, value


@dataclass
class PlanResult:
    """The outcome of ``plan``: ``answer`` (the cheapest candidate meeting
    every goal with the confidence asked, as ``{key: value}``, or None),
    ``plan`` (plan.csv: the candidates evaluated, in order, with their
    replications, each goal's mean, bound and verdict, and the cost), ``answer_toml``
    (answer.toml's text) and ``scenario`` (the scenario with the answer
    applied, as TOML text, or None); ``evaluated``, ``simulations`` and
    ``not_monotone`` (pairs where more resources did worse) say how much
    it took and whether the search's assumption held; ``confidence`` is
    the confidence of each verdict over all the looks at a candidate,
    ``looks`` the replications after which its goals were looked at and
    ``bound_confidence`` the confidence of each look's bounds (the
    ``bound`` columns of ``plan``): 0.99 for 0.95 over 5 looks;
    ``csv["plan.csv"]`` holds the bytes ``rpasim plan`` writes."""

    answer: Optional[Dict[str, Any]]
    csv: Dict[str, bytes] = field(repr=False)
    plan: pd.DataFrame = field(repr=False)
    answer_toml: str = field(repr=False)
    scenario: Optional[str] = field(repr=False)
    evaluated: int = 0
    simulations: int = 0
    not_monotone: int = 0
    confidence: float = 0.95
    bound_confidence: float = 0.95
    looks: List[int] = field(default_factory=list)


def plan(
    scenario: Scenario,
    search: Mapping[str, Union[str, Sequence[Any]]],
    goals: Optional[Sequence[str]] = None,
    confidence: float = 0.95,
    replications: Tuple[int, int] = (5, 50),
    seed: Optional[int] = None,
    set: Optional[Mapping[str, Any]] = None,
    jobs: Optional[int] = None,
    progress: Progress = None,
) -> PlanResult:
    """The cheapest setting that meets service-level goals, with
    confidence, as ``rpasim plan`` finds it. ``search`` gives each key's
    values from fewer to more resources: a list, or a range text
    (``"1..10"``, ``"5..50:5"``); several keys make a grid. ``goals`` are
    ``NAME.METRIC<=VALUE`` or ``>=VALUE`` texts
    (``"finance.start_p95_s<=30m"``; one text is one goal); the scenario's
    ``[[goals]]`` when None. A goal that more capacity makes harder to
    meet (``"all.bot_hours<=900"``, ``"all.utilization>=60%"``), or moves
    either way (``cold_starts``), raises ``ValueError`` when there is more
    than one candidate: the search assumes more never hurts; compare the
    answer's value with it instead. ``confidence`` holds over all the looks at a
    candidate (after MIN replications, then at each doubling up to MAX):
    each look's bounds are at 1 - (1 - confidence)/looks, which
    ``answer.toml`` states as ``bound_confidence``. The plan's files are
    kept in a temporary directory while it runs, then removed.

    ``progress`` is told how far the plan is, as for ``sweep``: after each
    candidate's evaluation, a dict of ``candidates_evaluated`` and
    ``simulations`` (the plan's size is not known before it ends)."""
    with _progress(progress, "plan") as report, tempfile.TemporaryDirectory(prefix="rpasim-plan-") as tmp:
        path = _scenario_file(scenario, tmp)
        search = _keyed("search", search, '{"machines.vm-01.bots": "1..10"}')
        searched = [(k, _vary_values(k, vs)) for k, vs in search.items()]
        # One goal given as a text is that goal, not its characters.
        goal_list = [goals] if isinstance(goals, str) else list(goals or [])
        out = Path(tmp) / "plan"
        out.mkdir()
        answer, evaluated, simulations, not_monotone, bound_confidence, looks = _rpasim.plan(
            str(path), searched, goal_list, float(confidence), _replication_range(replications),
            _seed(seed), _overrides(set, None), str(out), _jobs(jobs), report,
        )
        table = (out / "plan.csv").read_bytes()
        answer_toml = (out / "answer.toml").read_text(encoding="utf-8")
        chosen = out / "scenario.toml"
        scenario_text = chosen.read_text(encoding="utf-8") if chosen.exists() else None
    # plan.csv lists the evaluated candidates first, in evaluation order;
    # pandas types its columns (the searched keys' among them).
    frame = pd.read_csv(io.BytesIO(table), keep_default_na=False, na_values=[""])
    values = None if answer is None else dict(_setting(s) for s in answer)
    return PlanResult(
        answer=values, csv={"plan.csv": table}, plan=frame, answer_toml=answer_toml, scenario=scenario_text,
        evaluated=evaluated, simulations=simulations, not_monotone=not_monotone,
        confidence=float(confidence), bound_confidence=bound_confidence, looks=list(looks),
    )


@dataclass
class ImportResult:
    """What ``import_history`` wrote and found. Files: ``out`` (the
    directory), ``replay`` (replay.toml: the history's runs, each at its
    instant with its duration, on the fleet inferred), ``scenario``
    (scenario.toml: a model fitted to them, for what-ifs), ``page``
    (calibration.html). ``calibration`` is calibration.csv: per flow, the
    history's waits against its replay's and the fitted model's;
    ``verdicts`` says per flow whether the replay reproduces the observed
    waits (misfits first), ``notes`` what was inferred and adapted, and
    ``machines`` each machine inferred. Counts: ``runs`` read, ``open``
    (still queued or running at the export's end), ``attended``,
    ``duplicates`` (rows skipped) and ``unknown_status`` (replayed as
    succeeded)."""

    out: Path
    replay: Path
    scenario: Path
    page: Path
    calibration: pd.DataFrame = field(repr=False)
    verdicts: List[str]
    notes: List[str]
    machines: List[str] = field(repr=False)
    runs: int
    open: int
    attended: int
    duplicates: int
    unknown_status: int


def _instant(name: str, value: Any) -> Optional[str]:
    """A bound of ``import_history``'s window as rpasim reads it: ISO 8601
    text (a ``datetime`` without a zone is UTC, a ``date`` its 00:00 UTC)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime.date):  # a datetime is one too
        return value.isoformat()
    raise TypeError(f"{name} must be an ISO 8601 text, a date or a datetime; got {type(value).__name__}")


def import_history(
    history: Union[str, "os.PathLike[str]"],
    out: Union[str, "os.PathLike[str]"],
    fleet: Union[str, "os.PathLike[str]", None] = None,
    start: Union[str, datetime.date, None] = None,
    end: Union[str, datetime.date, None] = None,
    flows: Union[str, Sequence[str], None] = None,
) -> ImportResult:
    """Scenarios from a run history, as ``rpasim import`` makes them: the
    history (the DesktopFlowRuns / ``flowsession`` table as CSV with a
    header, or the Web API's OData JSON) becomes a replay of its runs on
    the fleet they ran on and a fitted model, written into ``out`` with
    their traces, calibration.csv and calibration.html (an earlier import
    there is replaced whole; a directory of anything else is refused with
    ``ValueError``). ``fleet`` is a fleet file (what the history cannot
    tell: bots never used at once, environments, limits); ``start`` and
    ``end`` keep the runs created in that window (``end`` left out; ISO
    8601 texts, dates or datetimes, UTC unless they say otherwise);
    ``flows`` keeps those flows (one name or a list). A history that is
    not what an import reads raises ``ValueError`` naming its line and
    column. Then ``run(result.replay)`` replays it, and
    ``run(result.scenario, set=...)`` asks what-ifs of the model."""
    names = [flows] if isinstance(flows, str) else list(flows or [])
    if not all(isinstance(f, str) for f in names):
        raise TypeError(f"flows must be a flow's name or a list of names; got {flows!r}")
    written, counts, notes, machines, verdicts = _rpasim.import_history(
        os.fspath(history), os.fspath(out), None if fleet is None else os.fspath(fleet),
        _instant("start", start), _instant("end", end), names,
    )
    directory = Path(written)
    runs, open_, attended, duplicates, unknown_status = counts
    return ImportResult(
        out=directory, replay=directory / "replay.toml", scenario=directory / "scenario.toml",
        page=directory / "calibration.html",
        calibration=_frame((directory / "calibration.csv").read_bytes()),
        verdicts=list(verdicts), notes=list(notes), machines=list(machines),
        runs=runs, open=open_, attended=attended, duplicates=duplicates, unknown_status=unknown_status,
    )


@dataclass
class CheckResult:
    """The outcome of ``check``: ``passed`` unless a metric got worse
    beyond its tolerance (for a sweep's summary, significantly too);
    ``comparisons`` counts the metrics compared, ``worse`` those worse
    beyond tolerance, ``unclear`` those worse beyond it but not
    significantly (they do not fail the check; more replications would
    tell). ``changes`` lists every comparison worse or unclear and the
    first 100 other changes: ``row`` (the target, flow or variant),
    ``metric``, ``baseline`` and ``current`` (NaN where the summary has no
    value, inf where it has ``inf``), ``change``, ``allowed``, ``p``
    (Welch's p-value, sweeps) and ``verdict`` (``worse``, ``unclear``,
    ``better``, ``ok``); ``report`` is the table ``rpasim check`` prints.
    ``assert c.passed, c.report`` makes a test of it."""

    passed: bool
    comparisons: int
    worse: int
    unclear: int
    changes: pd.DataFrame = field(repr=False)
    report: str = field(repr=False)


def _tolerance(metric: str, amount: Any) -> str:
    """A ``--tolerance`` text: ``"5%"`` as it is, a number as an absolute
    amount."""
    if isinstance(amount, str):
        return f"{metric}={amount}"
    if isinstance(amount, (bool, _np_bool_types())) or not isinstance(amount, numbers.Real):
        raise TypeError(
            f"tolerance {metric}: expected a percentage text (\"5%\") or a number (3); got {amount!r}"
        )
    return f"{metric}={float(amount)!r}"


def check(
    baseline: Union[str, "os.PathLike[str]"],
    current: Union[Result, SweepResult, bytes, str, "os.PathLike[str]"],
    tolerance: Optional[Mapping[str, Union[str, float]]] = None,
) -> CheckResult:
    """Compares summary metrics with a baseline, as ``rpasim check`` does:
    ``baseline`` is a summary.csv, summary-flows.csv or sweep-summary.csv
    file; ``current`` a ``Result`` of ``run`` (its summary of the
    baseline's kind), a ``SweepResult``, a summary's bytes or a summary
    file. ``tolerance`` says how much each metric may change
    (``{"wait_p95_s": "10%", "queue_full": 3}``); given, only those metrics
    are checked, otherwise the default ones at 5 %. A baseline is a run's
    ``csv["summary.csv"]`` (or a sweep's ``csv["sweep-summary.csv"]``)
    written to a file. Malformed or degenerate summaries (a baseline where
    nothing arrived, other targets) raise ``ValueError``; a regression
    does not raise: see ``CheckResult.passed``."""
    tolerances = [_tolerance(str(k), v) for k, v in (tolerance or {}).items()]
    current_file: Optional[str] = None
    summaries: List[Tuple[str, bytes]] = []
    if isinstance(current, Result):
        summaries = [(f, current.csv[f]) for f in ("summary.csv", "summary-flows.csv")]
    elif isinstance(current, SweepResult):
        summaries = [("sweep-summary.csv", current.csv["sweep-summary.csv"])]
    elif isinstance(current, (bytes, bytearray)):
        summaries = [("summary", bytes(current))]
    elif isinstance(current, (str, os.PathLike)):
        current_file = os.fspath(current)
    else:
        raise TypeError(
            "current must be a Result, a SweepResult, a summary's bytes or a summary file; "
            f"got {type(current).__name__}"
        )
    comparisons, worse, unclear, listed, report = _rpasim.check(
        os.fspath(baseline), current_file, summaries, tolerances,
    )
    changes = pd.DataFrame(
        listed, columns=["row", "metric", "baseline", "current", "change", "allowed", "p", "verdict"],
    ).astype({"baseline": "float64", "current": "float64", "p": "float64"})
    return CheckResult(
        passed=worse == 0, comparisons=comparisons, worse=worse, unclear=unclear,
        changes=changes, report=report,
    )
