//! Seeded random streams, one per purpose.
//!
//! Every stream is a ChaCha8 generator whose key is the scenario seed and a
//! 128-bit SipHash of the stream's name (e.g. `flow/invoices/arrivals`).
//! Streams are therefore independent of each other and of the order in which
//! they are created: adding a flow to a scenario leaves the draws of every
//! other flow unchanged (common random numbers for what-if comparisons).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use siphasher::sip128::{Hasher128, SipHasher13};
use std::hash::Hasher;

/// The generator type of every stream in the simulator.
pub type SimRng = ChaCha8Rng;

/// Derives named random streams from a scenario seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    seed: u64,
}

impl Streams {
    /// The stream factory of a scenario seed.
    pub fn new(seed: u64) -> Self {
        Streams { seed }
    }

    /// The scenario seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream called `name`; the same seed and name always give the
    /// same sequence, on every platform.
    pub fn stream(&self, name: &str) -> SimRng {
        // `Hasher::write` hashes the raw bytes: portable, unlike `Hash` impls
        // that mix in native-endian lengths.
        let mut hasher = SipHasher13::new_with_keys(0x7270_6173_696d, 0x73_7472_6561_6d73);
        hasher.write(name.as_bytes());
        let name_hash = hasher.finish128().as_u128();
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&self.seed.to_le_bytes());
        key[8..24].copy_from_slice(&name_hash.to_le_bytes());
        ChaCha8Rng::from_seed(key)
    }

    /// The arrival-time stream of a flow.
    pub fn flow_arrivals(&self, flow: &str) -> SimRng {
        self.stream(&format!("flow/{flow}/arrivals"))
    }

    /// The duration stream of a flow.
    pub fn flow_durations(&self, flow: &str) -> SimRng {
        self.stream(&format!("flow/{flow}/durations"))
    }

    /// The failure stream of a flow.
    pub fn flow_failures(&self, flow: &str) -> SimRng {
        self.stream(&format!("flow/{flow}/failures"))
    }

    /// The machine-selection stream of a target.
    pub fn target_selection(&self, target: &str) -> SimRng {
        self.stream(&format!("target/{target}/selection"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn first(mut rng: SimRng) -> u64 {
        rng.next_u64()
    }

    #[test]
    fn same_seed_and_name_give_the_same_stream() {
        let s = Streams::new(7);
        assert_eq!(first(s.stream("a")), first(s.stream("a")));
    }

    #[test]
    fn names_and_seeds_separate_streams() {
        let s = Streams::new(7);
        assert_ne!(first(s.stream("a")), first(s.stream("b")));
        assert_ne!(first(s.stream("a")), first(Streams::new(8).stream("a")));
        assert_ne!(first(s.flow_arrivals("x")), first(s.flow_durations("x")));
    }

    #[test]
    fn streams_are_stable_across_releases() {
        // Pinned so that a dependency upgrade that changed the draws (and so
        // every user's baseline) fails here first.
        assert_eq!(
            first(Streams::new(1).stream("flow/a/arrivals")),
            first(Streams::new(1).flow_arrivals("a"))
        );
        let v = first(Streams::new(42).stream("pin"));
        assert_eq!(v, 13_428_333_047_377_644_135);
    }
}
