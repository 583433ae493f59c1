//! Output beside the simulation: a [`Recorder`] on a thread of its own,
//! fed what the engine observes through a bounded channel, so that the
//! wall time tends to the larger of simulating and writing rather than
//! their sum.
//!
//! The recorder receives exactly the calls it would receive inline, in the
//! same order, so the files are the same bytes. Facts travel in batches
//! (one channel operation per [`BATCH`] facts), and emptied batches travel
//! back to be filled again: in flight are at most [`BATCHES_IN_FLIGHT`]
//! batches, whatever the number of runs.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use rpasim_core::observer::{EnvironmentSample, Notable};
use rpasim_core::{Observer, RunRecord, SimTime, TargetSample};

use crate::Recorder;

/// Facts per batch: large enough that the channel costs nothing per run,
/// small enough (~190 KB) to stay in cache.
pub const BATCH: usize = 1024;

/// Batches queued for the writing thread before the engine waits for it.
pub const BATCHES_IN_FLIGHT: usize = 4;

/// One observer call, kept to be replayed on the writing thread.
#[derive(Debug)]
enum Fact {
    Run(RunRecord),
    Sample {
        time: SimTime,
        targets: Vec<TargetSample>,
        environments: Vec<EnvironmentSample>,
    },
    Notable(SimTime, Notable),
}

impl Fact {
    /// Passes the fact to `recorder` where it lies in its batch: a run's
    /// record is not copied out first.
    fn replay(&self, recorder: &mut Recorder) {
        match self {
            Fact::Run(r) => recorder.run_finished(r),
            Fact::Sample {
                time,
                targets,
                environments,
            } => recorder.sample(*time, targets, environments),
            Fact::Notable(time, event) => recorder.notable(*time, event),
        }
    }
}

/// The recorder of a simulation: inline, or on a thread of its own when
/// the machine has a core to spare for it.
#[derive(Debug)]
pub enum Output {
    /// Every fact recorded as it is observed.
    Inline(Box<Recorder>),
    /// Facts recorded on another thread.
    Background(Background),
}

impl Output {
    /// `recorder` on a thread of its own when more than one core is
    /// available (and threads can be made), else inline.
    pub fn beside(recorder: Recorder) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if cores > 1 {
            Background::spawn(recorder).map_or_else(Output::Inline, Output::Background)
        } else {
            Output::Inline(Box::new(recorder))
        }
    }

    /// The recorder, once it has recorded every fact observed.
    pub fn into_recorder(self) -> Recorder {
        match self {
            Output::Inline(r) => *r,
            Output::Background(b) => b.finish(),
        }
    }
}

impl Observer for Output {
    fn run_finished(&mut self, record: &RunRecord) {
        match self {
            Output::Inline(r) => r.run_finished(record),
            Output::Background(b) => b.push(Fact::Run(*record)),
        }
    }

    fn sample(
        &mut self,
        time: SimTime,
        targets: &[TargetSample],
        environments: &[EnvironmentSample],
    ) {
        match self {
            Output::Inline(r) => r.sample(time, targets, environments),
            Output::Background(b) => b.push(Fact::Sample {
                time,
                targets: targets.to_vec(),
                environments: environments.to_vec(),
            }),
        }
    }

    fn notable(&mut self, time: SimTime, event: &Notable) {
        match self {
            Output::Inline(r) => r.notable(time, event),
            Output::Background(b) => b.push(Fact::Notable(time, event.clone())),
        }
    }
}

/// A recorder on a thread of its own, fed in batches.
#[derive(Debug)]
pub struct Background {
    batch: Vec<Fact>,
    /// `None` once the writing thread has gone (it panicked): facts are
    /// dropped and [`finish`](Self::finish) raises its panic.
    facts: Option<SyncSender<Vec<Fact>>>,
    emptied: Receiver<Vec<Fact>>,
    worker: JoinHandle<Recorder>,
}

impl Background {
    /// Starts the writing thread; gives the recorder back if no thread can
    /// be made.
    pub fn spawn(recorder: Recorder) -> Result<Self, Box<Recorder>> {
        let (facts, incoming) = sync_channel::<Vec<Fact>>(BATCHES_IN_FLIGHT);
        let (give_back, emptied) = sync_channel::<Vec<Fact>>(BATCHES_IN_FLIGHT + 2);
        // The recorder moves in only if the thread starts; `Builder::spawn`
        // consumes the closure either way, so it is handed over through a
        // channel instead.
        let (hand_over, take) = sync_channel::<Box<Recorder>>(1);
        let worker = std::thread::Builder::new()
            .name("rpasim-output".into())
            .spawn(move || {
                let mut recorder = take.recv().expect("the recorder is handed over at start");
                for mut batch in incoming {
                    for fact in &batch {
                        fact.replay(&mut recorder);
                    }
                    batch.clear();
                    // The engine may have finished and stopped taking them back.
                    let _ = give_back.try_send(batch);
                }
                *recorder
            });
        let recorder = Box::new(recorder);
        let worker = match worker {
            Ok(w) => w,
            Err(_) => return Err(recorder),
        };
        // The thread waits for it: it can only have gone by panicking.
        hand_over.send(recorder).map_err(|e| e.0)?;
        Ok(Background {
            batch: Vec::with_capacity(BATCH),
            facts: Some(facts),
            emptied,
            worker,
        })
    }

    fn push(&mut self, fact: Fact) {
        self.batch.push(fact);
        if self.batch.len() >= BATCH {
            self.send();
        }
    }

    /// Sends the batch, taking an emptied one back (or a new one).
    fn send(&mut self) {
        let next = match self.emptied.try_recv() {
            Ok(v) => v,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(BATCH),
        };
        let full = std::mem::replace(&mut self.batch, next);
        if let Some(facts) = &self.facts
            && facts.send(full).is_err()
        {
            self.facts = None;
        }
    }

    /// The recorder, once the writing thread has recorded every fact.
    pub fn finish(mut self) -> Recorder {
        if !self.batch.is_empty() {
            self.send();
        }
        // Closing the channel ends the thread's loop.
        self.facts = None;
        match self.worker.join() {
            Ok(recorder) => recorder,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
