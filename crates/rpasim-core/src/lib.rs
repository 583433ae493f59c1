//! The rpasim simulation core: a deterministic discrete-event model of the
//! run scheduler of a cloud RPA service.
//!
//! Invariants: this crate does no I/O, never reads the wall clock, and draws
//! every random number from a stream derived from the model's seed and a
//! stable name ([`random::Streams`]). Simulated time is integer milliseconds
//! ([`time::SimTime`]); events are ordered by (time, sequence).
//!
//! Entry points: build a [`model::ModelSpec`], create a
//! [`engine::Simulation`] with an [`observer::Observer`], call `run`.

pub mod arrival;
pub mod calendar;
pub mod capacity;
pub mod cost;
pub mod distribution;
pub mod engine;
pub mod event;
mod hosted;
pub mod ids;
mod inflight;
pub mod machine;
pub mod model;
pub mod observer;
pub mod prefetch;
pub mod queue;
pub mod random;
pub mod run;
pub mod selection;
pub mod time;
pub mod wait;
pub mod workload;

pub use engine::Simulation;
pub use ids::{EnvironmentId, FlowId, MachineId, TargetId};
pub use model::ModelSpec;
pub use observer::{Observer, SimReport, TargetSample, TargetTotals};
pub use run::{Outcome, RunRecord};
pub use time::{SimDuration, SimTime};
