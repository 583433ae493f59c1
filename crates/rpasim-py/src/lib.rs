//! `rpasim._rpasim`: the native module of the Python package. It runs the
//! same core as the command line, in memory: a run's CSV tables come back
//! as the very bytes `rpasim run` writes, and the Python layer
//! (`python/rpasim/__init__.py`) turns them into pandas DataFrames. The GIL
//! is released while simulating; a Python machine-selection policy or
//! queue discipline takes it back for each call. Ctrl-C stops a run, a
//! sweep or a plan at once ([`run`], [`interruptible`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyTuple};

use rpasim_core::queue::{QueueDiscipline, QueuedRun, Rank};
use rpasim_core::random::SimRng;
use rpasim_core::selection::{Candidates, MachineSelection};
use rpasim_core::{SimTime, Simulation, TargetId};
use rpasim_report::columns::{Column, Kind, read as read_columns};
use rpasim_report::{Output, Recorder};
use rpasim_scenario::{Override, Scenario, ScenarioError as Invalid};

create_exception!(
    _rpasim,
    ScenarioError,
    PyValueError,
    "A scenario that is not valid: the message is the command line's (file, line, column, dotted key, what was expected); the attributes file, line, column and key locate the first problem, and problems lists them all as (file, line, column, key, message)."
);

/// A problem as Python sees it: (file, line, column, key, message).
type ProblemTuple = (String, Option<usize>, Option<usize>, Option<String>, String);

/// The Python exception for an invalid scenario, with the location of its
/// first problem as attributes.
fn scenario_error(py: Python<'_>, e: &Invalid) -> PyErr {
    let err = ScenarioError::new_err(e.to_string());
    let value = err.value(py);
    let problems: Vec<ProblemTuple> = e
        .problems
        .iter()
        .map(|p| {
            (
                p.file.display().to_string(),
                p.line,
                p.column,
                p.key.clone(),
                p.message.clone(),
            )
        })
        .collect();
    let first = problems.first().cloned();
    // Setting attributes on a fresh exception object does not fail.
    let _ = value.setattr("file", first.as_ref().map(|p| p.0.clone()));
    let _ = value.setattr("line", first.as_ref().and_then(|p| p.1));
    let _ = value.setattr("column", first.as_ref().and_then(|p| p.2));
    let _ = value.setattr("key", first.as_ref().and_then(|p| p.3.clone()));
    let _ = value.setattr("problems", problems);
    err
}

/// Parses `--set`-style overrides.
fn overrides(set: &[String]) -> PyResult<Vec<Override>> {
    set.iter()
        .map(|s| {
            s.parse::<Override>()
                .map_err(|m| PyValueError::new_err(format!("set: {m}")))
        })
        .collect()
}

/// Reads a scenario: from its text as if from `source`, or (no text) from
/// the file `source`, read as the command line reads it (a regular file of
/// bounded size).
fn scenario(
    py: Python<'_>,
    text: Option<&str>,
    source: &str,
    set: &[String],
) -> PyResult<Scenario> {
    let set = overrides(set)?;
    let path = Path::new(source);
    match text {
        Some(text) => rpasim_scenario::parse(text, path, &set),
        None => rpasim_scenario::load(path, &set),
    }
    .map_err(|e| scenario_error(py, &e))
}

/// The first error a Python policy raised: the simulation stops at its
/// next question ([`rpasim_core::engine::ASK_EVERY_EVENTS`]), the policies
/// are not called again, and the error is raised.
type FirstError = Arc<Mutex<Option<PyErr>>>;

fn keep(first: &FirstError, e: PyErr) {
    if let Ok(mut slot) = first.lock() {
        slot.get_or_insert(e);
    }
}

/// Whether a policy has failed.
fn failed(first: &FirstError) -> bool {
    first.lock().map_or(true, |slot| slot.is_some())
}

/// The options of the command line that its messages name, as the
/// arguments of `rpasim.sweep`, `rpasim.plan` and `rpasim.import_history`
/// they are in Python (the more specific first).
const PYTHON_TERMS: [(&str, &str); 17] = [
    (
        "--goal NAME.METRIC<=VALUE",
        "goals=[\"NAME.METRIC<=VALUE\"]",
    ),
    (
        "--search KEY=VALUES, e.g. machines.vm-01.bots=1..10",
        "search={KEY: VALUES}, e.g. {\"machines.vm-01.bots\": \"1..10\"}",
    ),
    ("--replications MIN..MAX", "replications=(MIN, MAX)"),
    ("--confidence", "confidence"),
    ("--goal ", "goals: "),
    ("--search ", "search "),
    ("(--jobs)", "(jobs)"),
    ("--seed another base", "seed= another base"),
    (
        "(--set limits.max_output_mb=N)",
        "(set={\"limits.max_output_mb\": N})",
    ),
    ("from --set or [set]", "from set="),
    (
        "(--flows) or a shorter period (--from, --to)",
        "(flows=) or a shorter period (start=, end=)",
    ),
    ("--from/--to window", "start/end window"),
    ("--flows:", "flows:"),
    ("--from ", "start "),
    ("--to ", "end "),
    ("--tolerance ", "tolerance "),
    ("(--update)", "(a run's csv[\"summary.csv\"] written to it)"),
];

/// A `ValueError` with a message of the command line's, in the Python
/// API's terms ([`PYTHON_TERMS`]).
fn python_error(message: String) -> PyErr {
    let message = PYTHON_TERMS
        .iter()
        .fold(message, |m, (cli, python)| m.replace(cli, python));
    PyValueError::new_err(message)
}

/// Whether the caller is Python's main thread, the only one that runs
/// signal handlers.
fn on_main_thread(py: Python<'_>) -> PyResult<bool> {
    let threading = py.import("threading")?;
    let current = threading.call_method0("current_thread")?;
    Ok(current.is(&threading.call_method0("main_thread")?))
}

/// How often the caller's thread looks for a signal, and reports progress,
/// while the work runs.
const SIGNALS_EVERY: Duration = Duration::from_millis(50);

/// The latest progress of a sweep or a plan, as (name, count) pairs: set by
/// the work's threads as it goes, handed to Python's `progress` function by
/// the caller's thread, the only one that calls Python.
#[derive(Debug, Default)]
struct Latest {
    snapshot: Mutex<Option<Vec<(&'static str, u64)>>>,
}

impl Latest {
    /// Keeps `counts` as the latest progress (replacing one not reported).
    fn set(&self, counts: Vec<(&'static str, u64)>) {
        if let Ok(mut slot) = self.snapshot.lock() {
            *slot = Some(counts);
        }
    }

    /// Calls `progress` with the latest counts as a dict, if they came
    /// since the last call.
    fn report(&self, py: Python<'_>, progress: Option<&Py<PyAny>>) -> PyResult<()> {
        let Some(progress) = progress else {
            return Ok(());
        };
        let Some(counts) = self.snapshot.lock().ok().and_then(|mut slot| slot.take()) else {
            return Ok(());
        };
        let dict = PyDict::new(py);
        for (name, count) in counts {
            dict.set_item(name, count)?;
        }
        progress.call1(py, (dict,)).map(drop)
    }
}

/// Runs `work` (a sweep or a plan, on threads of rayon's) on a thread of
/// its own while the caller's thread, without the GIL, waits for it and
/// every [`SIGNALS_EVERY`] asks Python whether a signal came and calls
/// `progress` with what `work` has set in its [`Latest`] since (and once
/// more when it is done, so the last call tells the end). Python runs its
/// signal handlers only on its main thread, and only when asked there:
/// without this, Ctrl-C in a notebook was heeded when the whole sweep or
/// plan had finished. On a signal's exception (`KeyboardInterrupt`), or
/// one `progress` raises, `work`'s [`rpasim_sweep::Stop`] is requested,
/// and the exception is raised once `work` has stopped. (A run asks on its
/// own thread, between events: [`run`].)
fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    work: impl FnOnce(rpasim_sweep::Stop, &Latest) -> T + Send,
) -> PyResult<T> {
    let latest = Latest::default();
    // No signal is handled off the main thread: without a progress
    // function, nothing to ask.
    let signals = on_main_thread(py)?;
    if !signals && progress.is_none() {
        return Ok(py.detach(|| work(rpasim_sweep::Stop::never(), &latest)));
    }
    let flag = Arc::new(AtomicBool::new(false));
    let stop = rpasim_sweep::Stop::when(Arc::clone(&flag));
    let (result, raised) = py.detach(|| {
        std::thread::scope(|scope| {
            let (done, finished) = mpsc::channel::<()>();
            let latest = &latest;
            let worker = scope.spawn(move || {
                let result = work(stop, latest);
                let _ = done.send(());
                result
            });
            let mut raised = None;
            loop {
                // Sent or disconnected (the worker panicked, joined below).
                let over = !matches!(
                    finished.recv_timeout(SIGNALS_EVERY),
                    Err(RecvTimeoutError::Timeout)
                );
                if raised.is_none() {
                    let asked = Python::attach(|py| {
                        if signals && !over {
                            py.check_signals()?;
                        }
                        latest.report(py, progress.as_ref())
                    });
                    if let Err(e) = asked {
                        raised = Some(e);
                        flag.store(true, Ordering::Relaxed);
                    }
                }
                if over {
                    break;
                }
            }
            (worker.join(), raised)
        })
    });
    if let Some(e) = raised {
        return Err(e);
    }
    result.map_err(|panic| std::panic::resume_unwind(panic))
}

/// A machine-selection policy written in Python: `fn(candidates) -> index`,
/// each candidate a dict of `machine`, `free_bots`, `bots`,
/// `last_assigned_s` (None if never).
#[derive(Debug)]
struct PySelection {
    function: Py<PyAny>,
    machines: Arc<Vec<String>>,
    error: FirstError,
}

impl MachineSelection for PySelection {
    fn select(&mut self, candidates: &Candidates<'_>, _rng: &mut SimRng) -> usize {
        if failed(&self.error) {
            return 0;
        }
        Python::attach(|py| {
            let result = (|| -> PyResult<usize> {
                let list = candidates
                    .iter()
                    .map(|c| {
                        let d = PyDict::new(py);
                        d.set_item("machine", &self.machines[c.machine.index()])?;
                        d.set_item("free_bots", c.free_bots)?;
                        d.set_item("bots", c.bots)?;
                        d.set_item(
                            "last_assigned_s",
                            c.last_assigned.map(|t| t.as_millis() as f64 / 1000.0),
                        )?;
                        Ok(d)
                    })
                    .collect::<PyResult<Vec<_>>>()?;
                let returned = self.function.call1(py, (list,))?;
                let returned = returned.bind(py);
                match returned.extract::<usize>() {
                    Ok(chosen) if chosen < candidates.len() => Ok(chosen),
                    _ => Err(PyValueError::new_err(format!(
                        "selection returned {}; expected an int index below {}",
                        short_repr(returned),
                        candidates.len()
                    ))),
                }
            })();
            result.unwrap_or_else(|e| {
                keep(&self.error, e);
                0
            })
        })
    }
}

/// What a policy returned, for a message: its `repr`, at most 60
/// characters of it.
fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let text = value
        .repr()
        .map_or_else(|_| "an object without a repr".into(), |r| r.to_string());
    if text.chars().count() > 60 {
        format!("{}...", text.chars().take(57).collect::<String>())
    } else {
        text
    }
}

/// A queue discipline written in Python: `fn(run) -> rank`, smaller first
/// (an int, or a pair of ints), the run a dict of `run_id`, `flow`,
/// `priority`, `arrival_s`, `enqueued_s`, `duration_s`.
#[derive(Debug)]
struct PyDiscipline {
    function: Py<PyAny>,
    flows: Arc<Vec<String>>,
    error: FirstError,
}

impl QueueDiscipline for PyDiscipline {
    fn rank(&self, run: &QueuedRun) -> Rank {
        if failed(&self.error) {
            return (0, 0);
        }
        Python::attach(|py| {
            let result = (|| -> PyResult<Rank> {
                let d = PyDict::new(py);
                d.set_item("run_id", run.run_id)?;
                d.set_item("flow", &self.flows[run.flow.index()])?;
                d.set_item("priority", run.priority)?;
                d.set_item("arrival_s", run.arrival.as_millis() as f64 / 1000.0)?;
                d.set_item("enqueued_s", run.enqueued.as_millis() as f64 / 1000.0)?;
                d.set_item("duration_s", run.duration.as_millis() as f64 / 1000.0)?;
                let rank = self.function.call1(py, (d,))?;
                let rank = rank.bind(py);
                if let Ok(pair) = rank.extract::<(i64, i64)>() {
                    return Ok(pair);
                }
                rank.extract::<i64>().map(|r| (r, 0)).map_err(|_| {
                    PyValueError::new_err(format!(
                        "discipline returned {}; expected an int or a pair of ints (each \
                         from -2**63 to 2**63 - 1)",
                        short_repr(rank)
                    ))
                })
            })();
            result.unwrap_or_else(|e| {
                keep(&self.error, e);
                (0, 0)
            })
        })
    }
}

/// A Python function told how far a run is: the simulated time and the
/// horizon, in seconds, every [`SIGNALS_EVERY`] or so and at the end.
struct RunProgress {
    function: Py<PyAny>,
    horizon: SimTime,
    last: Instant,
}

impl RunProgress {
    fn new(function: Py<PyAny>, horizon: SimTime) -> Self {
        RunProgress {
            function,
            horizon,
            last: Instant::now(),
        }
    }

    /// Whether it is time to tell it again.
    fn due(&self) -> bool {
        self.last.elapsed() >= SIGNALS_EVERY
    }

    /// Tells it that the simulation has reached `now`.
    fn report(&mut self, py: Python<'_>, now: SimTime) -> PyResult<()> {
        self.last = Instant::now();
        let counts = PyDict::new(py);
        counts.set_item("simulated_s", now.as_millis() as f64 / 1000.0)?;
        counts.set_item("horizon_s", self.horizon.as_millis() as f64 / 1000.0)?;
        self.function.call1(py, (counts,)).map(drop)
    }
}

/// Simulates a scenario (its text, or None to read the file `source`) and
/// returns its tables as the bytes
/// `rpasim run` writes: `runs` (None unless `runs`), `summary`, `flows`
/// (summary-flows.csv), `timeseries`, `events`; and `name`. `progress`
/// is told the simulated time as it goes ([`RunProgress`]).
#[pyfunction]
#[pyo3(signature = (text, source, set, selection=None, discipline=None, runs=true, progress=None))]
#[allow(clippy::too_many_arguments)] // Python's keyword arguments, one each
fn run<'py>(
    py: Python<'py>,
    text: Option<&str>,
    source: &str,
    set: Vec<String>,
    selection: Option<Py<PyAny>>,
    discipline: Option<Py<PyAny>>,
    runs: bool,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let scenario = scenario(py, text, source, &set)?;
    // The tables are the files `rpasim run` writes, held in memory: they
    // are bounded as the files are (`[limits] max_output_mb`).
    let refusal = match runs {
        true => &scenario.output_refusal,
        false => &scenario.output_refusal_without_runs,
    };
    if let Some(e) = refusal {
        return Err(scenario_error(py, e));
    }
    let spec = &scenario.spec;
    let error: FirstError = Arc::default();
    let machines = Arc::new(spec.machines.iter().map(|m| m.name.clone()).collect());
    let flows = Arc::new(spec.flows.iter().map(|f| f.name.clone()).collect());
    let policies: Vec<(Option<PySelection>, Option<PyDiscipline>)> = (0..spec.targets.len())
        .map(|_| {
            (
                selection.as_ref().map(|f| PySelection {
                    function: f.clone_ref(py),
                    machines: Arc::clone(&machines),
                    error: Arc::clone(&error),
                }),
                discipline.as_ref().map(|f| PyDiscipline {
                    function: f.clone_ref(py),
                    flows: Arc::clone(&flows),
                    error: Arc::clone(&error),
                }),
            )
        })
        .collect();
    let on_main_thread = on_main_thread(py)?;
    let mut progress = progress.map(|f| RunProgress::new(f, spec.horizon));
    let outcome = py.detach(|| {
        // Tables are formatted on a core of their own when there is one.
        let mut sim = Simulation::new(spec, Output::beside(Recorder::in_memory_with(spec, runs)))
            .map_err(|e| format!("the scenario cannot be simulated: {e}"))?;
        for (t, (s, d)) in policies.into_iter().enumerate() {
            if let Some(s) = s {
                sim.set_selection(TargetId::from_index(t), Box::new(s));
            }
            if let Some(d) = d {
                sim.set_discipline(TargetId::from_index(t), Box::new(d));
            }
        }
        // The simulation runs on the caller's thread. On Python's main
        // thread, which runs its signal handlers when asked, a signal's
        // exception (Ctrl-C's KeyboardInterrupt) stops it as a policy's
        // does, and is raised; so does one the progress function raises.
        // Elsewhere no signal is asked for (none is handled there), and the
        // GIL is taken only to report progress: taking it from a busy main
        // thread waits up to its switch interval each time.
        let go_on = |now: SimTime| {
            if failed(&error) {
                return false;
            }
            let due = progress.as_ref().is_some_and(RunProgress::due);
            if !on_main_thread && !due {
                return true;
            }
            Python::attach(|py| {
                if on_main_thread {
                    py.check_signals()?;
                }
                match progress.as_mut() {
                    Some(p) if due => p.report(py, now),
                    _ => Ok(()),
                }
            })
            .map_err(|e| keep(&error, e))
            .is_ok()
        };
        let Some((output, report)) = sim.run_while(go_on) else {
            return Err("stopped before it finished".into());
        };
        output
            .into_recorder()
            .finish_in_memory(&report)
            .map(|(_, tables)| tables)
            .map_err(|e| e.to_string())
    });
    if let Some(e) = error.lock().ok().and_then(|mut slot| slot.take()) {
        return Err(e);
    }
    let tables = outcome.map_err(PyRuntimeError::new_err)?;
    if let Some(p) = progress.as_mut() {
        p.report(py, spec.horizon)?;
    }
    let out = PyDict::new(py);
    out.set_item("name", &scenario.name)?;
    // Each table's bytes dropped once Python has its copy: with a million
    // runs, the two copies of every table at once were 100 MB more.
    let runs = tables.runs.map(|bytes| PyBytes::new(py, &bytes));
    out.set_item("runs", runs)?;
    for (key, bytes) in [
        ("summary", tables.summary),
        ("flows", tables.flows),
        ("timeseries", tables.timeseries),
        ("events", tables.events),
    ] {
        out.set_item(key, PyBytes::new(py, &bytes))?;
    }
    Ok(out)
}

/// Checks a scenario given as text; returns what `rpasim validate` says of
/// a valid one, raises `ScenarioError` otherwise.
#[pyfunction]
#[pyo3(signature = (text, source, set))]
fn validate(
    py: Python<'_>,
    text: Option<&str>,
    source: &str,
    set: Vec<String>,
) -> PyResult<String> {
    let s = scenario(py, text, source, &set)?;
    // Refused as `run` refuses it (with its table of runs), as the command
    // line's `validate` does.
    if let Some(e) = &s.output_refusal {
        return Err(scenario_error(py, e));
    }
    Ok(format!(
        "{}: valid ({} targets, {} machines, {} flows)",
        s.name,
        s.spec.targets.len(),
        s.spec.machines.len(),
        s.spec.flows.len()
    ))
}

/// Runs a sweep of the scenario file `scenario` into the directory `out`
/// (varied keys with their values as TOML texts, replications, base seed,
/// fixed overrides) on `jobs` threads (all cores when None), then writes its
/// tables there, as `rpasim sweep` does; `progress` is called with the
/// simulations and variants done and in all ([`interruptible`]).
#[pyfunction]
#[pyo3(signature = (scenario, vary, replications, seed, set, out, jobs=None, progress=None))]
#[allow(clippy::too_many_arguments)] // Python's keyword arguments, one each
fn sweep(
    py: Python<'_>,
    scenario: PathBuf,
    vary: Vec<(String, Vec<String>)>,
    replications: u32,
    seed: Option<u64>,
    set: Vec<String>,
    out: PathBuf,
    jobs: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<()> {
    let def = rpasim_sweep::SweepDefinition {
        scenario,
        vary: vary
            .into_iter()
            .map(|(key, values)| rpasim_sweep::Vary { key, values })
            .collect(),
        replications,
        seed,
        set,
        metrics: Vec::new(),
    };
    interruptible(py, progress, |stop, latest| {
        rpasim_sweep::runner::with_threads(jobs, || -> Result<(), String> {
            let options = rpasim_sweep::RunOptions {
                stop,
                ..Default::default()
            };
            let tick = |p: rpasim_sweep::runner::Progress| {
                latest.set(vec![
                    ("simulations_done", p.runs_done as u64),
                    ("simulations_total", p.runs_total as u64),
                    ("variants_done", p.variants_done as u64),
                    ("variants_total", p.variants_total as u64),
                ]);
            };
            let (manifest, _, _locked) = rpasim_sweep::runner::run(&def, &out, &options, &tick)
                .map_err(|e| e.to_string())?;
            rpasim_sweep::assemble::assemble(&out, &manifest, std::slice::from_ref(&out))
                .map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())
        .and_then(|r| r)
    })?
    .map_err(python_error)
}

/// What [`plan`] returns to Python.
type PlanTuple = (Option<Vec<String>>, usize, u64, usize, f64, Vec<u32>);

/// Plans: the cheapest candidate of the `search` space (keys with their
/// values as `--search` takes them, `KEY=VALUES`) meeting `goals`
/// (`NAME.METRIC<=VALUE` texts; the scenario's `[[goals]]` when empty),
/// each decided with `confidence`; writes plan.csv, answer.toml, the
/// answer's scenario.toml and the charts into `out`, as `rpasim plan`
/// does; `progress` is called with the candidates evaluated and the
/// simulations so far. Returns `(the answer's KEY=VALUE settings, or None; candidates
/// evaluated; simulations; pairs that contradict monotonicity; each
/// look's bound confidence; the looks, in replications)`.
#[pyfunction]
#[pyo3(signature = (scenario, search, goals, confidence, replications, seed, set, out, jobs=None, progress=None))]
#[allow(clippy::too_many_arguments)] // Python's keyword arguments, one each
fn plan(
    py: Python<'_>,
    scenario: PathBuf,
    search: Vec<(String, Vec<String>)>,
    goals: Vec<String>,
    confidence: f64,
    replications: (u32, u32),
    seed: Option<u64>,
    set: Vec<String>,
    out: PathBuf,
    jobs: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PlanTuple> {
    let loaded =
        rpasim_scenario::load(&scenario, &overrides(&set)?).map_err(|e| scenario_error(py, &e))?;
    let goals = if goals.is_empty() {
        loaded.goals
    } else {
        goals
            .iter()
            .map(|g| rpasim_scenario::goals::parse_cli(g, &loaded.spec))
            .collect::<Result<_, _>>()
            .map_err(python_error)?
    };
    let search = search
        .into_iter()
        .map(|(key, values)| rpasim_sweep::Vary { key, values })
        .collect();
    let def = rpasim_sweep::plan::PlanDefinition {
        scenario,
        search,
        goals,
        confidence,
        replications,
        seed,
        set,
    };
    interruptible(py, progress, |stop, latest| -> Result<_, String> {
        let prepared = rpasim_sweep::plan::prepare(&def).map_err(|e| e.to_string())?;
        let tick = |evaluated: usize, simulations: u64| {
            latest.set(vec![
                ("candidates_evaluated", evaluated as u64),
                ("simulations", simulations),
            ]);
        };
        let plan = rpasim_sweep::runner::with_threads(jobs, || {
            rpasim_sweep::plan::run(&def, &prepared, &tick, &stop)
        })
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        rpasim_sweep::plan::write(&plan, &def, &out).map_err(|e| e.to_string())?;
        Ok((
            plan.answer.map(|a| plan.grid.overrides(a)),
            plan.evaluations.len(),
            plan.runs(),
            plan.violations.len(),
            plan.bound_confidence(),
            plan.looks.clone(),
        ))
    })?
    .map_err(python_error)
}

/// What [`import_history`] returns to Python: the output directory, then
/// the report's counts, notes, machines and verdicts (misfits first).
type ImportTuple = (
    PathBuf,
    (usize, usize, usize, u64, u64),
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

/// Imports a run history (DesktopFlowRuns / `flowsession` CSV, or the Web
/// API's JSON) into `out` as `rpasim import` does: a replay, a fitted
/// model, their traces, `calibration.csv` and `calibration.html`, swapped
/// in whole (an earlier import there replaced, anything else refused).
/// `start` and `end` bound the runs by their creation (ISO 8601; `end`
/// left out), `flows` keeps only those flows (all when empty), `fleet` is
/// a fleet file. Returns `(out, (runs, open, attended, duplicates,
/// unknown statuses), notes, machines, verdicts)`.
#[pyfunction]
#[pyo3(signature = (history, out, fleet=None, start=None, end=None, flows=Vec::new()))]
fn import_history(
    py: Python<'_>,
    history: PathBuf,
    out: PathBuf,
    fleet: Option<PathBuf>,
    start: Option<&str>,
    end: Option<&str>,
    flows: Vec<String>,
) -> PyResult<ImportTuple> {
    let instant = |name: &str, text: Option<&str>| -> PyResult<Option<i64>> {
        text.map(|t| {
            rpasim_import::time::parse_bound(t)
                .map_err(|m| PyValueError::new_err(format!("{name}: {m}")))
        })
        .transpose()
    };
    let selection = rpasim_import::Selection {
        from: instant("start", start)?,
        to: instant("end", end)?,
        flows,
    };
    let (out, report) = py
        .detach(|| rpasim_charts::import::import_into(&history, &out, &selection, fleet.as_deref()))
        .map_err(|e| match e {
            rpasim_charts::import::ImportFailure::Invalid(m) => python_error(m),
            rpasim_charts::import::ImportFailure::Failed(m) => PyRuntimeError::new_err(m),
        })?;
    let verdicts = rpasim_import::calibrate::misfits_first(&report.calibration.verdicts)
        .into_iter()
        // The console's prefix, which says where the line comes from.
        .map(|v| {
            v.text
                .strip_prefix("calibration: ")
                .unwrap_or(&v.text)
                .to_string()
        })
        .collect();
    Ok((
        out,
        (
            report.runs,
            report.open,
            report.attended,
            report.duplicates,
            report.unknown_status,
        ),
        report.notes,
        report.machines,
        verdicts,
    ))
}

/// One comparison of [`check`] as Python sees it: (row, metric, baseline,
/// current, change, allowed, p-value, verdict); a value is None where the
/// summary has none, infinite where it is `inf`.
type ComparisonTuple = (
    String,
    String,
    Option<f64>,
    Option<f64>,
    String,
    String,
    Option<f64>,
    &'static str,
);

/// What [`check`] returns: (comparisons, worse, unclear, the comparisons
/// listed, the table `rpasim check` prints).
type CheckTuple = (usize, usize, usize, Vec<ComparisonTuple>, String);

/// Compares a current summary with the baseline file `baseline` as
/// `rpasim check` does: the file `current_file`, or one of the summaries
/// in `current` (named by file: a run's `summary.csv` and
/// `summary-flows.csv`, the one of the baseline's kind is compared; a
/// sweep's `sweep-summary.csv`), with `tolerances` as `--tolerance` takes
/// them (the default metrics at 5 % when empty).
#[pyfunction]
#[pyo3(signature = (baseline, current_file, current, tolerances))]
fn check(
    py: Python<'_>,
    baseline: PathBuf,
    current_file: Option<PathBuf>,
    current: Vec<(String, Vec<u8>)>,
    tolerances: Vec<String>,
) -> PyResult<CheckTuple> {
    use rpasim_sweep::check::summary::Value;
    use rpasim_sweep::check::{Current, Tolerance, Verdict};
    let tolerances = tolerances
        .iter()
        .map(|t| t.parse::<Tolerance>().map_err(python_error))
        .collect::<PyResult<Vec<_>>>()?;
    let checked = py
        .detach(|| {
            let current = match &current_file {
                Some(file) => Current::File(file),
                None => Current::Bytes(of_the_baselines_kind(&baseline, current)),
            };
            rpasim_sweep::check::check(&baseline, current, &tolerances)
        })
        .map_err(|e| match e {
            rpasim_sweep::SweepError::Invalid(m) => python_error(m),
            other => PyRuntimeError::new_err(other.to_string()),
        })?;
    let value = |v: Value| match v {
        Value::Finite(x) => Some(x),
        Value::Infinite => Some(f64::INFINITY),
        Value::Empty => None,
    };
    let listed = checked
        .listed
        .iter()
        .map(|c| {
            let verdict = match c.verdict {
                Verdict::Ok => "ok",
                Verdict::Better => "better",
                Verdict::Unclear => "unclear",
                Verdict::Worse => "worse",
            };
            (
                c.row.clone(),
                c.metric.clone(),
                value(c.baseline),
                value(c.current),
                rpasim_sweep::check::change(c),
                c.tolerance.clone(),
                c.p_value,
                verdict,
            )
        })
        .collect();
    let report = rpasim_sweep::check::report(&checked);
    Ok((
        checked.comparisons,
        checked.worse,
        checked.unclear,
        listed,
        report,
    ))
}

/// Of a run's summaries (`summary.csv`, `summary-flows.csv`), the one of
/// the kind of the baseline (its flows' when it is a `summary-flows.csv`);
/// the only one given otherwise.
fn of_the_baselines_kind(baseline: &Path, mut current: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    if current.len() > 1 {
        // A run's summaries are small, and so is a baseline of their kind
        // (a larger one, not of theirs, is refused when compared).
        use rpasim_sweep::check::summary::Kind;
        let kind = match rpasim_sweep::check::compares_flows(baseline) {
            true => Kind::Flows,
            false => Kind::Run,
        };
        let wanted = kind.file();
        if let Some(i) = current.iter().position(|(name, _)| name == wanted) {
            return current.swap_remove(i).1;
        }
    }
    current.pop().map(|(_, bytes)| bytes).unwrap_or_default()
}

/// The values of `KEY=VALUES` as `--vary` reads them (`1..10`, `5..50:5`,
/// `1,2,4`).
#[pyfunction]
fn vary_values(text: &str) -> PyResult<Vec<String>> {
    rpasim_sweep::definition::parse_vary(text)
        .map(|v| v.values)
        .map_err(|e| python_error(e.0.replace("--vary ", "")))
}

/// The columns of a table of rpasim (`data`, its CSV bytes) typed by
/// `kinds`, pandas' dtype names (`"int64"`, `"Int64"`, `"float64"` or
/// `"category"` per column), or None where pandas must read it (see
/// `rpasim_report::columns`). Each column is a tuple of its dtype name and
/// arrays: `("int64", values)` and `("float64", values)` with the
/// values as little-endian 8-byte numbers in a `bytearray`; `("Int64",
/// values, missing)` with a byte per row, 1 where missing; `("category",
/// codes, categories)` with 4-byte codes (-1 where missing) and the
/// sorted texts.
#[pyfunction]
fn columns<'py>(
    py: Python<'py>,
    data: &[u8],
    kinds: Vec<String>,
) -> PyResult<Option<Vec<Bound<'py, PyTuple>>>> {
    let kinds = kinds
        .iter()
        .map(|k| match k.as_str() {
            "int64" => Ok(Kind::Int),
            "Int64" => Ok(Kind::NullableInt),
            "float64" => Ok(Kind::Float),
            "category" => Ok(Kind::Category),
            other => Err(PyValueError::new_err(format!(
                "a column's dtype is int64, Int64, float64 or category, not {other:?}"
            ))),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let Some(read) = py.detach(|| read_columns(data, &kinds)) else {
        return Ok(None);
    };
    read.into_iter()
        .map(|column| column_tuple(py, column))
        .collect::<PyResult<_>>()
        .map(Some)
}

/// A column as the tuple [`columns`] returns.
fn column_tuple(py: Python<'_>, column: Column) -> PyResult<Bound<'_, PyTuple>> {
    match column {
        Column::Int(values) => ("int64", numbers(py, &values, i64::to_le_bytes)?).into_pyobject(py),
        Column::Float(values) => {
            ("float64", numbers(py, &values, f64::to_le_bytes)?).into_pyobject(py)
        }
        Column::NullableInt { values, missing } => (
            "Int64",
            numbers(py, &values, i64::to_le_bytes)?,
            numbers(py, &missing, |m| [u8::from(m)])?,
        )
            .into_pyobject(py),
        Column::Category { codes, categories } => (
            "category",
            numbers(py, &codes, i32::to_le_bytes)?,
            categories,
        )
            .into_pyobject(py),
    }
}

/// `values` as consecutive fixed-size byte strings in a `bytearray` (which
/// numpy's `frombuffer` reads without a copy, and leaves writable).
fn numbers<'py, T: Copy, const N: usize>(
    py: Python<'py>,
    values: &[T],
    bytes: impl Fn(T) -> [u8; N],
) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, values.len() * N, |out: &mut [u8]| {
        for (chunk, v) in out.chunks_exact_mut(N).zip(values) {
            chunk.copy_from_slice(&bytes(*v));
        }
        Ok(())
    })
}

/// The native module.
#[pymodule]
fn _rpasim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("MAX_SEED", rpasim_scenario::MAX_SEED)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(import_history, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(vary_values, m)?)?;
    m.add_function(wrap_pyfunction!(columns, m)?)?;
    Ok(())
}
