//! `runs.csv`: one row per run, in arrival order (put back in that order
//! by [`crate::order::ArrivalOrder`]).

use std::io::Write;

use rpasim_core::RunRecord;
use rpasim_core::run::Priority;

use crate::format::push_seconds;
use crate::recorder::Names;

/// Column names of `runs.csv`: the run, then its time before starting
/// split by reason (`wait_<reason>_s`, in the order of
/// [`rpasim_core::wait::WaitReason::ALL`]).
pub const HEADER: [&str; 21] = [
    "run_id",
    "flow",
    "target",
    "priority",
    "arrival_s",
    "start_s",
    "end_s",
    "wait_s",
    "machine",
    "bot",
    "outcome",
    "cold_start_s",
    "attempts",
    "wait_provisioning_s",
    "wait_capacity_s",
    "wait_busy_s",
    "wait_maintenance_s",
    "wait_offline_s",
    "wait_selection_s",
    "wait_blocked_s",
    "wait_lost_s",
];

/// Writes run rows.
#[derive(Debug)]
pub struct RunsWriter<W: Write> {
    csv: csv::Writer<W>,
    scratch: Vec<u8>,
}

impl<W: Write> RunsWriter<W> {
    /// A writer that has written the header.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut csv = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(out);
        csv.write_record(HEADER)?;
        Ok(RunsWriter {
            csv,
            scratch: Vec::with_capacity(32),
        })
    }

    /// Writes one run.
    pub fn write(&mut self, r: &RunRecord, names: &Names) -> csv::Result<()> {
        let mut int = itoa::Buffer::new();
        self.csv.write_field(int.format(r.id))?;
        self.csv.write_field(names.flow(r.flow))?;
        self.csv.write_field(names.target(r.target))?;
        match Priority::name(r.priority) {
            Some(name) => self.csv.write_field(name)?,
            None => self.csv.write_field(int.format(r.priority))?,
        }
        self.seconds(Some(r.arrival.as_millis()))?;
        self.seconds(r.start.map(|t| t.as_millis()))?;
        self.seconds(r.end.map(|t| t.as_millis()))?;
        self.seconds(r.wait().map(|w| w.as_millis()))?;
        match r.placement {
            Some(p) => {
                self.csv.write_field(names.host(p.host))?;
                self.csv.write_field(int.format(p.bot))?;
            }
            None => {
                self.csv.write_field("")?;
                self.csv.write_field("")?;
            }
        }
        self.csv.write_field(r.outcome.as_str())?;
        self.seconds(r.cold_start.map(|d| d.as_millis()))?;
        self.csv.write_field(int.format(r.attempts))?;
        for ms in r.waits.millis() {
            if *ms == 0 {
                // Most reasons of most runs: no formatting.
                self.csv.write_field("0")?;
            } else {
                self.seconds(Some(*ms))?;
            }
        }
        self.csv.write_record(None::<&[u8]>)
    }

    fn seconds(&mut self, ms: Option<u64>) -> csv::Result<()> {
        self.scratch.clear();
        if let Some(ms) = ms {
            push_seconds(&mut self.scratch, ms);
        }
        self.csv.write_field(&self.scratch)
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::tests::record;

    #[test]
    fn row_format() {
        let names = Names {
            flows: vec!["f".into()],
            targets: vec!["g".into()],
            ..Names::default()
        };
        let mut w = RunsWriter::new(Vec::new()).expect("header");
        w.write(&record(0), &names).expect("row");
        let text = String::from_utf8(w.into_inner().expect("flush")).expect("utf-8");
        assert_eq!(
            text,
            "run_id,flow,target,priority,arrival_s,start_s,end_s,wait_s,machine,bot,outcome,cold_start_s,attempts,\
             wait_provisioning_s,wait_capacity_s,wait_busy_s,wait_maintenance_s,wait_offline_s,\
             wait_selection_s,wait_blocked_s,wait_lost_s\n\
             0,f,g,high,1.500,,1.500,,,,queue_full,,1,0,0,0,0,0,0,0,0\n"
        );
    }
}
