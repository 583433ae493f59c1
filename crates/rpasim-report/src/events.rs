//! `events.csv`: notable events on the timeline (expiries, image updates,
//! restarts...), for the report's timeline and for scripts.

use std::io::Write;

use rpasim_core::SimTime;
use rpasim_core::observer::Notable;

use crate::format::push_seconds;
use crate::recorder::Names;

/// Column names of `events.csv`.
pub const HEADER: [&str; 6] = ["time_s", "event", "target", "machine", "flow", "detail"];

/// Writes notable events.
#[derive(Debug)]
pub struct EventsWriter<W: Write> {
    csv: csv::Writer<W>,
    time: Vec<u8>,
}

impl<W: Write> EventsWriter<W> {
    /// A writer that has written the header.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(HEADER)?;
        Ok(EventsWriter {
            csv,
            time: Vec::new(),
        })
    }

    /// Writes one event.
    pub fn write(&mut self, time: SimTime, e: &Notable, names: &Names) -> csv::Result<()> {
        self.time.clear();
        push_seconds(&mut self.time, time.as_millis());
        self.csv.write_field(&self.time)?;
        self.csv.write_field(e.kind.as_str())?;
        self.csv
            .write_field(e.target.map_or("", |t| names.target(t)))?;
        self.csv
            .write_field(e.machine.map_or("", |m| names.machine(m)))?;
        self.csv.write_field(e.flow.map_or("", |f| names.flow(f)))?;
        self.csv.write_field(&e.detail)?;
        self.csv.write_record(None::<&[u8]>)
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}
