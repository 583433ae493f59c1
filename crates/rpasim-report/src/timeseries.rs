//! `timeseries.csv`: the state of every target at each sampling instant.

use std::io::Write;

use rpasim_core::observer::EnvironmentSample;
use rpasim_core::{SimTime, TargetSample};

use crate::format::{Chunked, FieldList, push_field, push_seconds};
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

/// Writes samples: rows formatted into [`Chunked`] rows, target and
/// environment names made CSV fields once (as `runs.csv`'s writer does; a
/// sample is a row per target, as many rows as runs with thousands of
/// targets).
#[derive(Debug)]
pub struct TimeseriesWriter<W: Write> {
    rows: Chunked<W>,
    targets: FieldList,
    environments: FieldList,
}

impl<W: Write> TimeseriesWriter<W> {
    /// A writer of samples of entities with these names, that has written
    /// the header.
    pub fn new(mut out: W, names: &Names) -> std::io::Result<Self> {
        out.write_all(HEADER.join(",").as_bytes())?;
        out.write_all(b"\n")?;
        Ok(TimeseriesWriter {
            rows: Chunked::new(out),
            targets: FieldList::new(&names.targets),
            environments: FieldList::new(&names.environments),
        })
    }

    /// Writes one row per target, with its environment's hosted capacity.
    pub fn write(
        &mut self,
        time: SimTime,
        samples: &[TargetSample],
        environments: &[EnvironmentSample],
        names: &Names,
    ) -> std::io::Result<()> {
        let mut int = itoa::Buffer::new();
        let line = self.rows.rows();
        let row_start = line.len();
        push_seconds(line, time.as_millis());
        let time_len = line.len() - row_start;
        for (i, s) in samples.iter().enumerate() {
            if i > 0 {
                // The time, formatted once per sample.
                line.extend_from_within(row_start..row_start + time_len);
            }
            let env_id = names.target_environments[s.target.index()];
            let env = environments.get(env_id.index());
            push_field(line, self.targets.get(s.target.index()));
            for v in [
                s.queued,
                s.running,
                s.bots_ready,
                s.bots_provisioning,
                s.bots_busy,
            ] {
                push_field(line, int.format(v).as_bytes());
            }
            push_field(line, self.environments.get(env_id.index()));
            for v in [env.map_or(0, |e| e.used), env.map_or(0, |e| e.free)] {
                push_field(line, int.format(v).as_bytes());
            }
            line.push(b'\n');
        }
        if samples.is_empty() {
            line.truncate(row_start);
        }
        self.rows.rows_done()
    }

    /// Writes the rows still held, flushes and returns the underlying
    /// writer: rows reach it only in chunks, so this must be called.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.rows.into_inner()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::CHUNK;
    use rpasim_core::{EnvironmentId, TargetId};

    fn names() -> Names {
        Names {
            targets: vec!["plain".into(), "a,b".into()],
            environments: vec!["say \"hi\"".into()],
            target_environments: vec![EnvironmentId::from_index(0); 2],
            ..Names::default()
        }
    }

    fn sample(target: usize, queued: u32) -> TargetSample {
        TargetSample {
            target: TargetId::from_index(target),
            queued,
            running: 2,
            bots_ready: 0,
            bots_provisioning: 1,
            bots_busy: 2,
        }
    }

    fn written(instants: u64) -> String {
        let names = names();
        let mut w = TimeseriesWriter::new(Vec::new(), &names).expect("header");
        let env = [EnvironmentSample {
            environment: EnvironmentId::from_index(0),
            capacity: 5,
            used: 3,
            free: 2,
        }];
        for i in 0..instants {
            let samples = [sample(0, i as u32), sample(1, 7)];
            w.write(SimTime::from_millis(i * 1_500), &samples, &env, &names)
                .expect("row");
        }
        String::from_utf8(w.into_inner().expect("flush")).expect("utf-8")
    }

    #[test]
    fn a_row_per_target_with_names_quoted_as_csv_requires() {
        assert_eq!(
            written(2),
            "time_s,target,queued,running,bots_ready,bots_provisioning,bots_busy,\
             environment,hosted_capacity_used,hosted_capacity_free\n\
             0.000,plain,0,2,0,1,2,\"say \"\"hi\"\"\",3,2\n\
             0.000,\"a,b\",7,2,0,1,2,\"say \"\"hi\"\"\",3,2\n\
             1.500,plain,1,2,0,1,2,\"say \"\"hi\"\"\",3,2\n\
             1.500,\"a,b\",7,2,0,1,2,\"say \"\"hi\"\"\",3,2\n"
        );
    }

    #[test]
    fn rows_beyond_a_chunk_all_arrive_and_read_back() {
        let text = written(2_000);
        assert!(text.len() > 2 * CHUNK, "{}", text.len());
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("valid")).collect();
        assert_eq!(rows.len(), 4_000);
        let last = &rows[3_998];
        assert_eq!(&last[0], "2998.500");
        assert_eq!(&last[1], "plain");
        assert_eq!(&last[2], "1999");
        assert_eq!(&last[7], "say \"hi\"");
        assert_eq!(&rows[3_999][1], "a,b");
    }
}
