//! The simulation's observer that writes the output files.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use rpasim_core::observer::{EnvironmentSample, Notable};
use rpasim_core::run::Host;
use rpasim_core::{
    EnvironmentId, FlowId, MachineId, ModelSpec, Observer, RunRecord, SimReport, SimTime, TargetId,
    TargetSample,
};

use crate::events::EventsWriter;
use crate::order::ArrivalOrder;
use crate::runs::RunsWriter;
use crate::series::{SampleRows, SampleValues};
use crate::summary::{Summary, SummaryBuilder};
use crate::timeseries::TimeseriesWriter;
use crate::{EVENTS_CSV, RUNS_CSV, SUMMARY_CSV, SUMMARY_FLOWS_CSV, TIMESERIES_CSV};

/// Names of the entities, by id: the core knows only ids.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Flow names by [`FlowId`].
    pub flows: Vec<String>,
    /// Target names by [`TargetId`].
    pub targets: Vec<String>,
    /// Machine names by [`MachineId`].
    pub machines: Vec<String>,
    /// Environment names by [`EnvironmentId`].
    pub environments: Vec<String>,
    /// The environment of each target, by [`TargetId`].
    pub target_environments: Vec<EnvironmentId>,
    /// The target of each flow, by [`FlowId`].
    pub flow_targets: Vec<TargetId>,
}

impl Names {
    /// The names of a model's entities.
    pub fn from_spec(spec: &ModelSpec) -> Self {
        Names {
            flows: spec.flows.iter().map(|f| f.name.clone()).collect(),
            targets: spec.targets.iter().map(|t| t.name.clone()).collect(),
            machines: spec.machines.iter().map(|m| m.name.clone()).collect(),
            environments: spec.environments.iter().map(|e| e.name.clone()).collect(),
            target_environments: spec.targets.iter().map(|t| t.environment).collect(),
            flow_targets: spec.flows.iter().map(|f| f.target).collect(),
        }
    }

    /// An environment's name.
    pub fn environment(&self, id: EnvironmentId) -> &str {
        &self.environments[id.index()]
    }

    /// The name of what executed a run: the machine, or the hosted group
    /// (whose bots are numbered slots).
    pub fn host(&self, host: Host) -> &str {
        match host {
            Host::Machine(m) => self.machine(m),
            Host::HostedGroup(t) => self.target(t),
        }
    }

    /// A flow's name.
    pub fn flow(&self, id: FlowId) -> &str {
        &self.flows[id.index()]
    }

    /// A target's name.
    pub fn target(&self, id: TargetId) -> &str {
        &self.targets[id.index()]
    }

    /// A machine's name.
    pub fn machine(&self, id: MachineId) -> &str {
        &self.machines[id.index()]
    }
}

/// Where a recorder's CSV files go: files in its directory, or bytes in
/// memory (for a library caller such as the Python package).
#[derive(Debug)]
pub enum Out {
    /// A file, buffered.
    File(BufWriter<File>),
    /// Bytes in memory.
    Memory(Vec<u8>),
}

impl io::Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Memory(v) => v.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Out::File(f) => f.write_all(buf),
            Out::Memory(v) => v.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Memory(_) => Ok(()),
        }
    }
}

impl Out {
    /// Flushed; the bytes when in memory.
    fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Out::File(mut f) => io::Write::flush(&mut f).map(|()| Vec::new()),
            Out::Memory(v) => Ok(v),
        }
    }
}

/// A run's CSV files as bytes, the same bytes `rpasim run` writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// `runs.csv`; `None` when the recorder kept no runs
    /// ([`in_memory_with`](Recorder::in_memory_with)).
    pub runs: Option<Vec<u8>>,
    /// `timeseries.csv`.
    pub timeseries: Vec<u8>,
    /// `events.csv`.
    pub events: Vec<u8>,
    /// `summary.csv`.
    pub summary: Vec<u8>,
    /// `summary-flows.csv`.
    pub flows: Vec<u8>,
}

type FileOut = Out;

/// Streams runs and samples to CSV files and accumulates the summary.
///
/// Observer hooks cannot fail, so the first I/O error is kept, further
/// writing stops, and [`finish`](Recorder::finish) returns the error.
#[derive(Debug)]
pub struct Recorder {
    names: Names,
    order: ArrivalOrder,
    runs: Option<RunsWriter<FileOut>>,
    timeseries: Option<TimeseriesWriter<FileOut>>,
    events: Option<EventsWriter<FileOut>>,
    summary: SummaryBuilder,
    /// The samples reduced for drawing, if charts will be drawn: with
    /// thousands of targets they cost tens of MB and a pass per sample, for
    /// nothing when no chart is.
    series: Option<SampleRows>,
    dir: Option<PathBuf>,
    error: Option<io::Error>,
}

impl Recorder {
    /// A recorder writing `runs.csv`, `timeseries.csv` and (at the end)
    /// `summary.csv` into `dir`.
    pub fn create(dir: &Path, spec: &ModelSpec) -> io::Result<Self> {
        Self::create_with(dir, spec, true)
    }

    /// As [`create`](Self::create), writing `runs.csv` only when `runs`
    /// (`rpasim run --runs none` does not: for users of the summaries
    /// alone, on runs too many to keep).
    pub fn create_with(dir: &Path, spec: &ModelSpec, runs: bool) -> io::Result<Self> {
        let open = |name: &str| {
            File::create(dir.join(name)).map(|f| Out::File(BufWriter::with_capacity(1 << 16, f)))
        };
        let mut r = Self::summary_only(spec);
        r.runs = if runs {
            Some(RunsWriter::new(open(RUNS_CSV)?, &r.names).map_err(io::Error::from)?)
        } else {
            None
        };
        let timeseries = TimeseriesWriter::new(open(TIMESERIES_CSV)?, &r.names)?;
        let events = EventsWriter::new(open(EVENTS_CSV)?).map_err(io::Error::from)?;
        r.timeseries = Some(timeseries);
        r.events = Some(events);
        r.dir = Some(dir.to_path_buf());
        // Records held back by a long run spill next to the outputs.
        r.order = ArrivalOrder::spilling_into(Some(dir.to_path_buf()));
        Ok(r)
    }

    /// A recorder that writes every CSV into memory: [`finish_in_memory`]
    /// returns the bytes, the same as [`create`](Self::create) writes.
    ///
    /// [`finish_in_memory`]: Self::finish_in_memory
    pub fn in_memory(spec: &ModelSpec) -> Self {
        Self::in_memory_with(spec, true)
    }

    /// [`in_memory`](Self::in_memory), keeping `runs.csv` only if `runs`:
    /// without it, memory does not grow with the number of runs (the
    /// Python package's `run(..., runs=False)`, as `rpasim run --runs
    /// none`).
    pub fn in_memory_with(spec: &ModelSpec, runs: bool) -> Self {
        let memory = || Out::Memory(Vec::with_capacity(1 << 16));
        let mut r = Self::summary_only(spec);
        // Writing a header into memory cannot fail.
        if runs {
            r.runs = RunsWriter::new(memory(), &r.names).ok();
        }
        r.timeseries = TimeseriesWriter::new(memory(), &r.names).ok();
        r.events = EventsWriter::new(memory()).ok();
        r
    }

    /// The summary and every CSV's bytes of an [`in_memory`](Self::in_memory)
    /// recorder.
    pub fn finish_in_memory(self, report: &SimReport) -> io::Result<(Summary, Tables)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let bytes = |w: Option<io::Result<Out>>| -> io::Result<Vec<u8>> {
            w.transpose()?.map_or(Ok(Vec::new()), Out::finish)
        };
        let mut tables = Tables {
            runs: self.runs.map(|w| bytes(Some(w.into_inner()))).transpose()?,
            timeseries: bytes(self.timeseries.map(TimeseriesWriter::into_inner))?,
            events: bytes(self.events.map(EventsWriter::into_inner))?,
            ..Tables::default()
        };
        let summary = self.summary.finish(report, &self.names);
        summary
            .write_csv(&mut tables.summary)
            .map_err(io::Error::from)?;
        summary
            .write_flows_csv(&mut tables.flows)
            .map_err(io::Error::from)?;
        Ok((summary, tables))
    }

    /// A recorder that writes nothing and only computes the summary.
    pub fn summary_only(spec: &ModelSpec) -> Self {
        let names = Names::from_spec(spec);
        let summary = SummaryBuilder::new(
            spec.targets.len(),
            &names.flow_targets,
            spec.warmup,
            spec.horizon,
        )
        .with_cost(spec.prices.map(|p| rpasim_core::cost::cost(spec, &p)));
        Recorder {
            names,
            order: ArrivalOrder::default(),
            runs: None,
            timeseries: None,
            events: None,
            summary,
            series: None,
            dir: None,
            error: None,
        }
    }

    /// A recorder that only computes the summary, with rows for the
    /// targets and flows named (and `all`): what a plan's goals need (see
    /// [`SummaryBuilder::only`]). Unknown names get no row.
    pub fn summary_of(spec: &ModelSpec, names: &[&str]) -> Self {
        let mut r = Self::summary_only(spec);
        // A set of the names, not a look through every target per name:
        // a plan may have a goal per target of thousands.
        let wanted: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        let named = |all: &[String]| -> Vec<usize> {
            (0..all.len())
                .filter(|&i| wanted.contains(all[i].as_str()))
                .collect()
        };
        let (targets, flows) = (named(&r.names.targets), named(&r.names.flows));
        r.summary = r.summary.only(&targets, &flows);
        r
    }

    /// Also keeps the samples reduced for drawing, which
    /// [`finish_with_series`](Self::finish_with_series) returns: for a run
    /// whose charts are drawn from them.
    pub fn with_series(mut self, spec: &ModelSpec) -> Self {
        self.series = Some(SampleRows::new(
            spec.targets.len(),
            spec.horizon.as_millis(),
            spec.sample_every.as_millis(),
        ));
        self
    }

    /// Flushes the files, writes `summary.csv` and returns the summary.
    pub fn finish(self, report: &SimReport) -> io::Result<Summary> {
        self.finish_with_series(report).map(|(summary, _)| summary)
    }

    /// As [`finish`](Self::finish), also returning the time series reduced
    /// for drawing (by target), if they were kept
    /// ([`with_series`](Self::with_series)).
    pub fn finish_with_series(
        self,
        report: &SimReport,
    ) -> io::Result<(Summary, Option<SampleRows>)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        // Flushed here, so that a full disk is an error, not a short file.
        if let Some(runs) = self.runs {
            runs.into_inner()?.finish()?;
        }
        if let Some(ts) = self.timeseries {
            ts.into_inner()?.finish()?;
        }
        if let Some(events) = self.events {
            events.into_inner()?.finish()?;
        }
        let summary = self.summary.finish(report, &self.names);
        if let Some(dir) = &self.dir {
            write_summaries(&summary, dir)?;
        }
        Ok((summary, self.series))
    }

    fn keep_first_error(&mut self, result: csv::Result<()>) {
        if let Err(e) = result {
            self.error.get_or_insert(io::Error::from(e));
            self.runs = None;
            self.timeseries = None;
            self.events = None;
        }
    }
}

/// Adds one sample of every target to the series reduced for drawing.
fn reduce(series: &mut SampleRows, time: SimTime, targets: &[TargetSample]) {
    let values = targets.iter().map(|s| {
        let values = SampleValues {
            queued: s.queued,
            running: s.running,
            ready: s.bots_ready,
            provisioning: s.bots_provisioning,
            busy: s.bots_busy,
        };
        (s.target.index(), values)
    });
    series.push(time.as_millis(), values);
}

/// Writes `summary.csv` and `summary-flows.csv`; with thousands of targets
/// and flows each takes a while, so on a machine with a core to spare the
/// flows' file is written beside the targets' (each file is the same bytes
/// either way).
fn write_summaries(summary: &Summary, dir: &Path) -> io::Result<()> {
    let targets = || {
        let file = BufWriter::new(File::create(dir.join(SUMMARY_CSV))?);
        summary.write_csv(file).map_err(io::Error::from)
    };
    let flows = || {
        let file = BufWriter::new(File::create(dir.join(SUMMARY_FLOWS_CSV))?);
        summary.write_flows_csv(file).map_err(io::Error::from)
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 {
        targets()?;
        return flows();
    }
    std::thread::scope(|scope| {
        let beside = std::thread::Builder::new().spawn_scoped(scope, flows);
        let written = targets();
        let flows_written = match beside {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: written here, after the other.
            Err(_) => flows(),
        };
        written.and(flows_written)
    })
}

impl Observer for Recorder {
    fn run_finished(&mut self, record: &RunRecord) {
        let (summary, runs) = (&mut self.summary, &mut self.runs);
        let result = self.order.push_looking_ahead(record, |r, next| {
            if let Some(next) = next {
                summary.prefetch(next);
            }
            summary.add(r);
            match runs {
                Some(w) => w.write(r),
                None => Ok(()),
            }
        });
        self.keep_first_error(result);
    }

    fn sample(
        &mut self,
        time: SimTime,
        targets: &[TargetSample],
        environments: &[EnvironmentSample],
    ) {
        if let Some(series) = &mut self.series {
            reduce(series, time, targets);
        }
        if let Some(ts) = &mut self.timeseries {
            let result = ts.write(time, targets, environments, &self.names);
            self.keep_first_error(result.map_err(csv::Error::from));
        }
    }

    fn notable(&mut self, time: SimTime, event: &Notable) {
        if let Some(w) = &mut self.events {
            let result = w.write(time, event, &self.names);
            self.keep_first_error(result);
        }
    }
}
