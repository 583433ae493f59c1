//! The grid of a sweep: variants (every combination of varied values) times
//! replications, in a canonical order, with the seeds of replications and
//! the split into shards.

use rand::Rng;
use rpasim_core::random::Streams;

use crate::definition::{DefinitionError, SweepDefinition};

/// One unit of work: a variant's replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Job {
    /// Position in the grid: `variant × replications + replication`.
    pub index: usize,
    /// The variant (index into [`Grid::variants`]).
    pub variant: usize,
    /// The replication, from 0.
    pub replication: u32,
}

/// Variants × replications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grid {
    /// Varied keys.
    pub keys: Vec<String>,
    /// The values of each variant, in key order.
    pub variants: Vec<Vec<String>>,
    /// Replications per variant.
    pub replications: u32,
    /// How many keys each dimension of the grid has, in order (more than
    /// one for linked keys): they partition `keys`.
    pub dimensions: Vec<usize>,
}

impl Grid {
    /// The cartesian product of the varied values (first key slowest).
    /// Linked keys (`a|b` with values `1|2`) move together, as one
    /// dimension.
    pub fn new(def: &SweepDefinition) -> Self {
        let mut variants: Vec<Vec<String>> = vec![Vec::new()];
        for v in &def.vary {
            variants = variants
                .into_iter()
                .flat_map(|prefix| {
                    v.values.iter().map(move |value| {
                        let mut next = prefix.clone();
                        next.extend(value.split('|').map(|part| part.trim().to_string()));
                        next
                    })
                })
                .collect();
        }
        Grid {
            keys: def
                .vary
                .iter()
                .flat_map(|v| v.key.split('|').map(|k| k.trim().to_string()))
                .collect(),
            variants,
            replications: def.replications,
            dimensions: def.vary.iter().map(|v| v.key.split('|').count()).collect(),
        }
    }

    /// The key indices of each dimension.
    pub fn dimension_keys(&self) -> Vec<std::ops::Range<usize>> {
        let mut start = 0;
        self.dimensions
            .iter()
            .map(|n| {
                start += n;
                start - n..start
            })
            .collect()
    }

    /// Every job, in canonical order.
    pub fn jobs(&self) -> impl Iterator<Item = Job> + '_ {
        (0..self.variants.len()).flat_map(move |variant| {
            (0..self.replications).map(move |replication| Job {
                index: variant * self.replications as usize + replication as usize,
                variant,
                replication,
            })
        })
    }

    /// The `--set` overrides of a variant.
    pub fn overrides(&self, variant: usize) -> Vec<String> {
        self.keys
            .iter()
            .zip(&self.variants[variant])
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    }
}

/// The last two parts of a dotted key (`finance.max_bots`): enough to tell
/// keys apart in a legend or a table.
pub fn short_key(key: &str) -> &str {
    let mut dots = key.rmatch_indices('.').map(|(i, _)| i);
    dots.nth(1).map_or(key, |i| &key[i + 1..])
}

/// The seed of replication `r`: the same for every variant (common random
/// numbers), independent across replications, derived from the base seed.
/// 63 bits, because a scenario's seed is a TOML integer (at most 2^63 - 1).
pub fn replication_seed(base: u64, r: u32) -> u64 {
    Streams::new(base)
        .stream(&format!("replication/{r}"))
        .next_u64()
        >> 1
}

/// `--shard I/N`: the jobs whose index is I-1 modulo N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Parses `I/N` (1 ≤ I ≤ N).
    pub fn parse(text: &str) -> Result<Self, DefinitionError> {
        let bad = || {
            DefinitionError(format!(
                "--shard expects I/N with 1 <= I <= N, e.g. 2/3; got {text:?}"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the shard runs a job.
    pub fn contains(&self, job: &Job) -> bool {
        job.index % self.count as usize == (self.index - 1) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::Vary;

    fn def() -> SweepDefinition {
        SweepDefinition {
            scenario: "s.toml".into(),
            vary: vec![
                Vary {
                    key: "a".into(),
                    values: vec!["1".into(), "2".into()],
                },
                Vary {
                    key: "b".into(),
                    values: vec!["x".into(), "y".into(), "z".into()],
                },
            ],
            replications: 2,
            seed: None,
            set: Vec::new(),
            metrics: Vec::new(),
        }
    }

    #[test]
    fn grid_is_the_cartesian_product_first_key_slowest() {
        let g = Grid::new(&def());
        assert_eq!(g.variants.len(), 6);
        assert_eq!(g.variants[1], vec!["1", "y"]);
        assert_eq!(g.overrides(3), vec!["a=2", "b=x"]);
        let jobs: Vec<Job> = g.jobs().collect();
        assert_eq!(jobs.len(), 12);
        assert_eq!(
            jobs[5],
            Job {
                index: 5,
                variant: 2,
                replication: 1
            }
        );
    }

    #[test]
    fn short_keys_keep_the_last_two_parts() {
        assert_eq!(
            short_key("environments.prod.hosted_capacity"),
            "prod.hosted_capacity"
        );
        assert_eq!(short_key("simulation.seed"), "simulation.seed");
        assert_eq!(short_key("seed"), "seed");
    }

    #[test]
    fn linked_keys_move_together() {
        let mut d = def();
        d.vary = vec![Vary {
            key: "cap|max".into(),
            values: vec!["12|10".into(), "18|16".into()],
        }];
        let g = Grid::new(&d);
        assert_eq!(g.keys, vec!["cap", "max"]);
        assert_eq!(g.variants, vec![vec!["12", "10"], vec!["18", "16"]]);
        assert_eq!(g.overrides(1), vec!["cap=18", "max=16"]);
        assert_eq!(g.dimension_keys(), vec![0..2]);
        d.vary.push(Vary {
            key: "reps".into(),
            values: vec!["1".into()],
        });
        assert_eq!(Grid::new(&d).dimension_keys(), vec![0..2, 2..3]);
    }

    #[test]
    fn shards_partition_the_jobs() {
        let g = Grid::new(&def());
        let shards: Vec<Shard> = (1..=3)
            .map(|i| Shard::parse(&format!("{i}/3")).expect("valid"))
            .collect();
        for job in g.jobs() {
            assert_eq!(shards.iter().filter(|s| s.contains(&job)).count(), 1);
        }
        assert!(
            Shard::parse("0/3").is_err()
                && Shard::parse("4/3").is_err()
                && Shard::parse("x").is_err()
        );
    }

    #[test]
    fn replication_seeds_differ_and_are_stable() {
        assert_ne!(replication_seed(7, 0), replication_seed(7, 1));
        assert_eq!(replication_seed(7, 3), replication_seed(7, 3));
        assert_ne!(replication_seed(7, 0), replication_seed(8, 0));
        assert!((0..100).all(|r| replication_seed(u64::MAX, r) <= i64::MAX as u64));
    }
}
