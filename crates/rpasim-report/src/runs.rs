//! `runs.csv`: one row per run, in arrival order (put back in that order
//! by [`crate::order::ArrivalOrder`]).

use std::io::Write;

use rpasim_core::RunRecord;
use rpasim_core::run::{Host, Priority};

use crate::format::{Chunked, FieldList, push_field, push_seconds};
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

/// Writes run rows, formatted straight into [`Chunked`] rows. Only names
/// can need CSV quoting, and they are quoted once, when the writer is
/// made; numbers are formatted in place.
#[derive(Debug)]
pub struct RunsWriter<W: Write> {
    rows: Chunked<W>,
    names: CsvNames,
}

/// Names as CSV fields (quoted if they must be), by id.
#[derive(Debug)]
struct CsvNames {
    flows: FieldList,
    targets: FieldList,
    machines: FieldList,
}

impl CsvNames {
    fn new(names: &Names) -> Self {
        CsvNames {
            flows: FieldList::new(&names.flows),
            targets: FieldList::new(&names.targets),
            machines: FieldList::new(&names.machines),
        }
    }

    fn host(&self, host: Host) -> &[u8] {
        match host {
            Host::Machine(m) => self.machines.get(m.index()),
            Host::HostedGroup(t) => self.targets.get(t.index()),
        }
    }
}

impl<W: Write> RunsWriter<W> {
    /// A writer of the runs of entities with these names, that has
    /// written the header.
    pub fn new(mut out: W, names: &Names) -> csv::Result<Self> {
        out.write_all(HEADER.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        Ok(RunsWriter {
            rows: Chunked::new(out),
            names: CsvNames::new(names),
        })
    }

    /// Writes one run.
    pub fn write(&mut self, r: &RunRecord) -> csv::Result<()> {
        let mut int = itoa::Buffer::new();
        let (line, names) = (self.rows.rows(), &self.names);
        line.extend_from_slice(int.format(r.id).as_bytes());
        push_field(line, names.flows.get(r.flow.index()));
        push_field(line, names.targets.get(r.target.index()));
        match Priority::name(r.priority) {
            Some(name) => push_field(line, name.as_bytes()),
            None => push_field(line, int.format(r.priority).as_bytes()),
        }
        push_ms(line, Some(r.arrival.as_millis()));
        push_ms(line, r.start.map(|t| t.as_millis()));
        push_ms(line, r.end.map(|t| t.as_millis()));
        push_ms(line, r.wait().map(|w| w.as_millis()));
        match r.placement {
            Some(p) => {
                push_field(line, names.host(p.host));
                push_field(line, int.format(p.bot).as_bytes());
            }
            None => line.extend_from_slice(b",,"),
        }
        push_field(line, r.outcome.as_str().as_bytes());
        push_ms(line, r.cold_start.map(|d| d.as_millis()));
        push_field(line, int.format(r.attempts).as_bytes());
        for ms in r.waits.millis() {
            if *ms == 0 {
                // Most reasons of most runs: no formatting.
                line.extend_from_slice(b",0");
            } else {
                push_ms(line, Some(*ms));
            }
        }
        line.push(b'\n');
        Ok(self.rows.rows_done()?)
    }

    /// Writes the rows still held, flushes and returns the underlying
    /// writer: rows reach it only in chunks, so this must be called.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.rows.into_inner()
    }
}

/// Appends `,` and milliseconds as seconds (empty when absent).
fn push_ms(line: &mut Vec<u8>, ms: Option<u64>) {
    line.push(b',');
    if let Some(ms) = ms {
        push_seconds(line, ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{CHUNK, csv_field};
    use crate::order::tests::record;

    /// `runs.csv` of the test records with these ids, flow and target names.
    fn written(flow: &str, target: &str, ids: &[u64]) -> String {
        let names = Names {
            flows: vec![flow.into()],
            targets: vec![target.into()],
            ..Names::default()
        };
        let mut w = RunsWriter::new(Vec::new(), &names).expect("header");
        for id in ids {
            w.write(&record(*id)).expect("row");
        }
        String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
    }

    #[test]
    fn row_format() {
        let text = written("f", "g", &[0]);
        assert_eq!(
            text,
            "run_id,flow,target,priority,arrival_s,start_s,end_s,wait_s,machine,bot,outcome,cold_start_s,attempts,\
             wait_provisioning_s,wait_capacity_s,wait_busy_s,wait_maintenance_s,wait_offline_s,\
             wait_selection_s,wait_blocked_s,wait_lost_s\n\
             0,f,g,high,1.500,,1.500,,,,queue_full,,1,0,0,0,0,0,0,0,0\n"
        );
    }

    #[test]
    fn rows_beyond_a_chunk_all_arrive_in_order() {
        // About 60 bytes a row: 5,000 rows are several chunks and a rest.
        let ids: Vec<u64> = (0..5_000).collect();
        let text = written("f", "g", &ids);
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert!(text.len() > 3 * CHUNK, "{}", text.len());
        assert_eq!(rows.len(), ids.len());
        for (id, row) in rows.iter().enumerate() {
            assert!(row.starts_with(&format!("{id},f,g,")), "{row}");
        }
        // Nothing reaches the writer before a chunk is full.
        let names = Names {
            flows: vec!["f".into()],
            targets: vec!["g".into()],
            ..Names::default()
        };
        let mut w = RunsWriter::new(Vec::new(), &names).expect("header");
        let header = w.rows.get_ref().len();
        w.write(&record(0)).expect("row");
        assert_eq!(w.rows.get_ref().len(), header);
    }

    #[test]
    fn names_in_rows_are_quoted_once_as_csv_requires() {
        let text = written("say \"hi\"", "a,b", &[0, 1]);
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 2);
        for (id, row) in rows.iter().enumerate() {
            assert!(
                row.starts_with(&format!("{id},\"say \"\"hi\"\"\",\"a,b\",high,")),
                "{row}"
            );
        }
    }

    #[test]
    fn names_are_quoted_as_csv_requires() {
        let mut line = Vec::new();
        for name in ["plain", "a,b", "say \"hi\""] {
            push_field(&mut line, &csv_field(name));
        }
        assert_eq!(line, b",plain,\"a,b\",\"say \"\"hi\"\"\"");
        // The csv crate reads back what was written.
        let text = format!("x{}\n", String::from_utf8(line).expect("utf-8"));
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let row = reader.records().next().expect("row").expect("valid");
        assert_eq!(&row[2], "a,b");
        assert_eq!(&row[3], "say \"hi\"");
    }
}
