//! `timeseries.csv`: the state of every target at each sampling instant.

use std::io::Write;

use rpasim_core::observer::EnvironmentSample;
use rpasim_core::{SimTime, TargetSample};

use crate::format::push_seconds;
use crate::recorder::Names;

/// Column names of `timeseries.csv`.
pub const HEADER: [&str; 10] = [
    "time_s",
    "target",
    "queued",
    "running",
    "bots_ready",
    "bots_provisioning",
    "bots_busy",
    "environment",
    "hosted_capacity_used",
    "hosted_capacity_free",
];

/// Writes samples.
#[derive(Debug)]
pub struct TimeseriesWriter<W: Write> {
    csv: csv::Writer<W>,
    time: Vec<u8>,
}

impl<W: Write> TimeseriesWriter<W> {
    /// A writer that has written the header.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
        Ok(TimeseriesWriter {
            csv,
            time: Vec::new(),
        })
    }

    /// Writes one row per target, with its environment's hosted capacity.
    pub fn write(
        &mut self,
        time: SimTime,
        samples: &[TargetSample],
        environments: &[EnvironmentSample],
        names: &Names,
    ) -> csv::Result<()> {
        self.time.clear();
        push_seconds(&mut self.time, time.as_millis());
        let mut int = itoa::Buffer::new();
        for s in samples {
            let env_id = names.target_environments[s.target.index()];
            let env = environments.get(env_id.index());
            self.csv.write_field(&self.time)?;
            self.csv.write_field(names.target(s.target))?;
            for v in [
                s.queued,
                s.running,
                s.bots_ready,
                s.bots_provisioning,
                s.bots_busy,
            ] {
                self.csv.write_field(int.format(v))?;
            }
            self.csv.write_field(names.environment(env_id))?;
            for v in [env.map_or(0, |e| e.used), env.map_or(0, |e| e.free)] {
                self.csv.write_field(int.format(v))?;
            }
            self.csv.write_record(None::<&[u8]>)?;
        }
        Ok(())
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
