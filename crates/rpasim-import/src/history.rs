//! Reading a run history: the Dataverse `flowsession` table as exported
//! for analytics (DesktopFlowRuns), a CSV with a header. Any row order;
//! lookups by name where the `...name` column is present, else by id.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::Path;

use crate::ImportError;
use crate::time;

/// Largest history file read.
pub const MAX_HISTORY_BYTES: u64 = 2 << 30;

/// One run of the history, times in ms since 1970 (UTC).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRun {
    /// The desktop flow.
    pub flow: String,
    /// When it was queued.
    pub created: i64,
    /// When it started on a bot, if it did.
    pub started: Option<i64>,
    /// When it ended, if it did.
    pub completed: Option<i64>,
    /// How it ended.
    pub status: Status,
    /// Run by the signed-in user (runmode 1).
    pub attended: bool,
    /// The machine it ran on.
    pub machine: Option<String>,
    /// The machine group it was queued on.
    pub group: Option<String>,
}

/// A run's `statuscode`, as far as a replay cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 4.
    Succeeded,
    /// 8 failed, 9 faulted, 10 timed out, 11 aborted, 7 cancelled.
    Failed,
    /// Running or queued at the end of the export (no `completedon`).
    Open,
    /// A code not in the documented list.
    Unknown,
}

/// A history, read.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// The runs, in file order.
    pub runs: Vec<HistoryRun>,
    /// Rows whose `flowsessionid` was seen before (the first is kept).
    pub duplicates: u64,
    /// Rows with a status code outside the documented list.
    pub unknown_status: u64,
}

/// Reads a history CSV.
pub fn read(path: &Path) -> Result<History, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let meta = file
        .metadata()
        .map_err(|e| ImportError::file(path, e.to_string()))?;
    if !meta.is_file() {
        return Err(ImportError::file(path, "not a regular file".into()));
    }
    if meta.len() > MAX_HISTORY_BYTES {
        return Err(ImportError::file(
            path,
            format!("larger than {} bytes", MAX_HISTORY_BYTES),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = reader.headers().ok().cloned().unwrap_or_default();
    let col = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let Some(created) = col("createdon") else {
        return Err(ImportError::at(
            path,
            1,
            None,
            "not a run history: its first line is not a CSV header with a createdon column \
             (the DesktopFlowRuns / flowsession export)"
                .into(),
        ));
    };
    let flow = col("regardingobjectidname").or_else(|| col("regardingobjectid"));
    let Some(flow) = flow else {
        return Err(ImportError::at(
            path,
            1,
            None,
            "missing column regardingobjectidname (or regardingobjectid): the desktop flow".into(),
        ));
    };
    let started = col("startedon");
    let completed = col("completedon");
    let status = col("statuscode");
    let runmode = col("runmode");
    let machine = col("machineidname").or_else(|| col("machineid"));
    let group = col("machinegroupidname").or_else(|| col("machinegroupid"));
    let id = col("flowsessionid");
    let name = |i: usize| header.get(i).unwrap_or("").to_string();
    let mut history = History::default();
    let mut seen = BTreeSet::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            ImportError::at(path, line, None, format!("malformed CSV row ({e})"))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("");
        if let Some(i) = id {
            let key = field(Some(i)).to_string();
            if !key.is_empty() && !seen.insert(key) {
                history.duplicates += 1;
                continue;
            }
        }
        let when = |i: Option<usize>| -> Result<Option<i64>, ImportError> {
            let text = field(i);
            if text.is_empty() {
                return Ok(None);
            }
            time::parse(text)
                .map(Some)
                .map_err(|m| ImportError::at(path, line, i.map(name), m))
        };
        let Some(created_at) = when(Some(created))? else {
            return Err(ImportError::at(
                path,
                line,
                Some(name(created)),
                "empty: every run has a createdon".into(),
            ));
        };
        let started_at = when(started)?;
        let completed_at = when(completed)?;
        if started_at.is_some_and(|s| s < created_at) {
            return Err(ImportError::at(
                path,
                line,
                started.map(name),
                "startedon is before createdon".into(),
            ));
        }
        if let (Some(s), Some(c)) = (started_at, completed_at)
            && c < s
        {
            return Err(ImportError::at(
                path,
                line,
                completed.map(name),
                "completedon is before startedon".into(),
            ));
        }
        let code = field(status);
        let status = match code {
            "4" => Status::Succeeded,
            "7" | "8" | "9" | "10" | "11" => Status::Failed,
            _ if completed_at.is_none() => Status::Open,
            _ => {
                history.unknown_status += 1;
                Status::Unknown
            }
        };
        let flow_name = field(Some(flow));
        if flow_name.is_empty() {
            return Err(ImportError::at(
                path,
                line,
                Some(name(flow)),
                "empty: every run belongs to a desktop flow".into(),
            ));
        }
        let text = |i: Option<usize>| Some(field(i).to_string()).filter(|s| !s.is_empty());
        history.runs.push(HistoryRun {
            flow: flow_name.to_string(),
            created: created_at,
            started: started_at,
            completed: completed_at,
            status,
            attended: field(runmode) == "1",
            machine: text(machine),
            group: text(group),
        });
    }
    if history.runs.is_empty() {
        return Err(ImportError::file(path, "no run in the history".into()));
    }
    Ok(history)
}
