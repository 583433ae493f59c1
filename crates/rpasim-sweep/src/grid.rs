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

/// `--shard I/N`: the jobs whose index is I-1 modulo N. Written in a
/// shard's `sweep.toml` as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Shard {
    /// Which shard, from 1.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl std::fmt::Display for Shard {
    /// `I/N`, as `--shard` takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl From<Shard> for String {
    fn from(shard: Shard) -> String {
        shard.to_string()
    }
}

impl TryFrom<String> for Shard {
    type Error = String;

    fn try_from(text: String) -> Result<Shard, String> {
        Shard::parse(&text).map_err(|e| e.0)
    }
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

    /// `--shard auto`: the shard the cluster's scheduler gave this task,
    /// from its environment (`var` looks a variable up): a Slurm job
    /// array (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`,
    /// `SLURM_ARRAY_TASK_COUNT`, and `SLURM_ARRAY_TASK_STEP` when the
    /// array has one; `SLURM_ARRAY_TASK_MAX`, when set, tells a list of
    /// ids from a range, and a list is refused), a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`,
    /// 0-based, with `JOB_COMPLETIONS`, which the manifest sets to its
    /// `completions`), or an AWS Batch array job
    /// (`AWS_BATCH_JOB_ARRAY_INDEX`, 0-based, `AWS_BATCH_JOB_ARRAY_SIZE`).
    /// An error says which variables it looked for, or which is missing or
    /// wrong.
    pub fn from_environment(var: impl Fn(&str) -> Option<String>) -> Result<Self, DefinitionError> {
        let number = |name: &str| -> Result<Option<u64>, DefinitionError> {
            var(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        DefinitionError(format!(
                            "--shard auto: {name} is {:?}, not a whole number",
                            v.chars().take(40).collect::<String>()
                        ))
                    })
                })
                .transpose()
        };
        let needs = |name: &str, with: &str| {
            DefinitionError(format!("--shard auto: {with} is set but {name} is not"))
        };
        let shard = |zero_based: u64, count: u64, from: &str| {
            let fits = count > 0 && zero_based < count && count <= u64::from(u32::MAX);
            if !fits {
                return Err(DefinitionError(format!(
                    "--shard auto: {from} gives task {} of {count}, not a shard",
                    zero_based + 1
                )));
            }
            Ok(Shard {
                index: zero_based as u32 + 1,
                count: count as u32,
            })
        };
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let count = number("SLURM_ARRAY_TASK_COUNT")?
                .ok_or_else(|| needs("SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_ID"))?;
            let min = number("SLURM_ARRAY_TASK_MIN")?
                .ok_or_else(|| needs("SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_ID"))?;
            let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            if let Some(max) = number("SLURM_ARRAY_TASK_MAX")? {
                slurm_range(min, max, step, count)?;
            }
            let offset = id
                .checked_sub(min)
                .filter(|o| o % step == 0)
                .ok_or_else(|| {
                    DefinitionError(format!(
                        "--shard auto: task {id} is not on the Slurm array's range (from {min} in \
                     steps of {step}); give the array as a range, e.g. --array=1-{count}"
                    ))
                })?;
            return shard(offset / step, count, "the Slurm array");
        }
        if let Some(index) = number("JOB_COMPLETION_INDEX")? {
            let count = number("JOB_COMPLETIONS")?.ok_or_else(|| {
                DefinitionError(
                    "--shard auto: JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not; set it \
                     in the Job's manifest to its completions"
                        .into(),
                )
            })?;
            return shard(index, count, "the Kubernetes Indexed Job");
        }
        if let Some(index) = number("AWS_BATCH_JOB_ARRAY_INDEX")? {
            let count = number("AWS_BATCH_JOB_ARRAY_SIZE")?
                .ok_or_else(|| needs("AWS_BATCH_JOB_ARRAY_SIZE", "AWS_BATCH_JOB_ARRAY_INDEX"))?;
            return shard(index, count, "the AWS Batch array job");
        }
        Err(DefinitionError(
            "--shard auto: not in an array task: none of SLURM_ARRAY_TASK_ID (Slurm), \
             JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or AWS_BATCH_JOB_ARRAY_INDEX \
             (AWS Batch) is set; give the shard as I/N"
                .into(),
        ))
    }

    /// Whether the shard runs a job.
    pub fn contains(&self, job: &Job) -> bool {
        job.index % self.count as usize == (self.index - 1) as usize
    }
}

/// Checks that a Slurm array is one range, `min`, `min + step`, ... up to
/// `max`: only then does a task's id tell its place among the `count`
/// tasks. A list (`--array=1,3,5`: count 3 from 1 to 5 in steps of 1) is
/// refused in every task, where mapping ids by their offset from `min` ran
/// a wrong shard in some tasks, failed in others and never ran the rest.
fn slurm_range(min: u64, max: u64, step: u64, count: u64) -> Result<(), DefinitionError> {
    let last = count
        .checked_sub(1)
        .and_then(|n| n.checked_mul(step))
        .and_then(|span| span.checked_add(min));
    if last == Some(max) {
        return Ok(());
    }
    Err(DefinitionError(format!(
        "--shard auto: the Slurm array's {count} tasks are not one range from {min} to {max} \
         (steps of {step}), as a list such as --array=1,3,5 gives, so a task's id does not \
         tell its shard; submit the array as a range, e.g. --array=1-{count}, or give --shard \
         I/N"
    )))
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

    /// A lookup of the given variables.
    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn shard_auto_reads_slurm_kubernetes_and_aws_batch() {
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert_eq!(Shard::from_environment(slurm), Shard::parse("2/3"));
        // --array=0-6:2 (0, 2, 4, 6): task 4 is the third of four.
        let stepped = env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ]);
        assert_eq!(Shard::from_environment(stepped), Shard::parse("3/4"));
        // What Slurm 22.05 sets for --array=2-10:4 (2, 6, 10), task 6.
        let ranged = env(&[
            ("SLURM_ARRAY_TASK_ID", "6"),
            ("SLURM_ARRAY_TASK_MIN", "2"),
            ("SLURM_ARRAY_TASK_MAX", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_STEP", "4"),
        ]);
        assert_eq!(Shard::from_environment(ranged), Shard::parse("2/3"));
        let k8s = env(&[("JOB_COMPLETION_INDEX", "0"), ("JOB_COMPLETIONS", "8")]);
        assert_eq!(Shard::from_environment(k8s), Shard::parse("1/8"));
        let aws = env(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "9"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "10"),
        ]);
        assert_eq!(Shard::from_environment(aws), Shard::parse("10/10"));
    }

    #[test]
    fn shard_auto_says_what_it_looked_for_and_what_is_wrong() {
        let message =
            |vars: &[(&str, &str)]| Shard::from_environment(env(vars)).expect_err("an error").0;
        let none = message(&[]);
        for name in [
            "SLURM_ARRAY_TASK_ID",
            "JOB_COMPLETION_INDEX",
            "AWS_BATCH_JOB_ARRAY_INDEX",
        ] {
            assert!(none.contains(name), "{none}");
        }
        assert!(message(&[("JOB_COMPLETION_INDEX", "1")]).contains("JOB_COMPLETIONS is not"));
        assert!(message(&[("SLURM_ARRAY_TASK_ID", "x")]).contains("SLURM_ARRAY_TASK_ID is \"x\""));
        let gap = message(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ]);
        assert!(gap.contains("task 5 of 3, not a shard"), "{gap}");
        // What Slurm 22.05 sets for --array=1,3,5 (task 3) and --array=1-3,7:
        // every task is refused, not only those past the count.
        for (id, count, max) in [("3", "3", "5"), ("1", "3", "5"), ("2", "4", "7")] {
            let list = message(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_MAX", max),
                ("SLURM_ARRAY_TASK_COUNT", count),
                ("SLURM_ARRAY_TASK_STEP", "1"),
            ]);
            assert!(
                list.contains(&format!("{count} tasks are not one range from 1 to {max}")),
                "{list}"
            );
            assert!(list.contains(&format!("--array=1-{count}")), "{list}");
        }
        let size = message(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "0"),
        ]);
        assert!(size.contains("not a shard"), "{size}");
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
