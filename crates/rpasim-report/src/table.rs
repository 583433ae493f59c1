//! A CSV file read back as text cells, by header and rows: for the report
//! (which shows cells exactly as written), `rpasim plot`, and the sweeps
//! and checks that read summaries.

use std::io::{self, Read};

/// A CSV file as text cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvTable {
    /// Column names.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl CsvTable {
    /// Parses CSV bytes with a header.
    pub fn parse(bytes: &[u8]) -> io::Result<Self> {
        Self::from_csv(csv::Reader::from_reader(bytes)).map_err(io::Error::other)
    }

    /// Reads the rest of a CSV reader with a header.
    pub fn from_csv<R: Read>(mut reader: csv::Reader<R>) -> csv::Result<Self> {
        let header = reader.headers()?.iter().map(str::to_string).collect();
        let rows = reader
            .records()
            .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
            .collect::<Result<_, _>>()?;
        Ok(CsvTable { header, rows })
    }

    /// The index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// A cell of `row` in column `name`, as a number (0 when absent).
    pub fn number(&self, row: &[String], name: &str) -> f64 {
        self.column(name)
            .and_then(|c| row.get(c))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rows_and_columns() {
        let t = CsvTable::parse(b"target,wait\nsales,\"1,5\"\nall,2\n").expect("csv");
        assert_eq!(t.header, vec!["target", "wait"]);
        assert_eq!(t.rows[0], vec!["sales", "1,5"]);
        assert_eq!(t.column("wait"), Some(1));
        assert!(CsvTable::parse(b"a,b\n1,2,3\n").is_err());
    }
}
