//! Hyperparameter search: seeded random trials over a versioned TOML space, successive halving
//! (cheap first rung on part of the training matches, the best trials again on all of them),
//! early stopping and iteration selection on validation log loss, trials in parallel on the
//! available cores. Every fit reads the same binned training set ([`crate::bins`]).
//! The outcome depends only on the data, the seed and the space, never on thread timing.

use crate::bins::{BinRow, Bins};
use crate::boost::{self, Fitted, Params, Rows};
use crate::kinds::KIND_ROUTING_LEVELS;
use anyhow::{bail, Context as _, Result};
use scorer::features::N_FEATURES;
use scorer::synth::Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Space {
    pub version: u32,
    pub trials: usize,
    /// Successive halving: rung `k` fits its trials on this share of the training matches
    /// (nested seeded subsets); the last rung is 1.0, all of them.
    pub rung_train_shares: Vec<f64>,
    /// After rung `k` (every rung but the last) the best `rung_keep_shares[k]` of its trials,
    /// by validation log loss, go on to rung `k + 1`.
    pub rung_keep_shares: Vec<f64>,
    /// Most bins per feature (the missing bin not counted); edges at training quantiles. Up to
    /// 255 keeps every feature within the 254 thresholds scorer.wasm's vector path ranks.
    #[serde(default = "default_max_bins")]
    pub max_bins: usize,
    /// Stop a fit once validation log loss has not improved for this many trees (0: never).
    #[serde(default)]
    pub early_stopping_trees: usize,
    pub max_depth: Choice,
    pub shrinkage: Range,
    pub min_leaf_size: Range,
    pub learning_budget: Range,
    pub iterations: IntRange,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub values: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub log: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IntRange {
    pub min: usize,
    pub max: usize,
}

fn default_max_bins() -> usize {
    255
}

impl Range {
    fn sample(&self, rng: &mut Rng) -> f64 {
        let u = rng.unit() as f64;
        if self.log {
            (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp()
        } else {
            self.min + u * (self.max - self.min)
        }
    }
}

/// The default space shipped with the trainer.
/// Deepest trees a search may grow: with the routing levels above them they must stay within
/// the scorer's limit, or the model would be refused only after the whole search.
const MAX_SEARCH_DEPTH: u32 = (scorer::model::MAX_DEPTH - KIND_ROUTING_LEVELS) as u32;

/// Most trials a search may run (each is a model fit; the default space runs 50).
pub const MAX_TRIALS: usize = 10_000;
/// Largest `min_leaf_size` a space may draw.
const MAX_MIN_LEAF_SIZE: f64 = 1e6;

pub const DEFAULT_SPACE: &str = include_str!("../config/search-space.toml");

impl Space {
    pub fn parse(text: &str, origin: &str) -> Result<Space> {
        let s: Space =
            toml::from_str(text).with_context(|| format!("{origin}: invalid search space"))?;
        s.check()
            .with_context(|| format!("{origin}: invalid search space"))?;
        Ok(s)
    }

    pub fn load(path: Option<&Path>) -> Result<Space> {
        match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                Space::parse(&text, &p.display().to_string())
            }
            None => Space::parse(DEFAULT_SPACE, "built-in search-space.toml"),
        }
    }

    fn check(&self) -> Result<()> {
        if !(1..=MAX_TRIALS).contains(&self.trials) {
            bail!("trials must be in 1..={MAX_TRIALS}");
        }
        if self.max_depth.values.is_empty()
            || self
                .max_depth
                .values
                .iter()
                .any(|&d| d == 0 || d > MAX_SEARCH_DEPTH)
        {
            bail!(
                "max_depth.values must be non-empty, each in 1..={MAX_SEARCH_DEPTH} (routing by shot kind adds up to {KIND_ROUTING_LEVELS} levels; the scorer evaluates depth ≤ {})",
                scorer::model::MAX_DEPTH
            );
        }
        for (name, r) in [
            ("shrinkage", &self.shrinkage),
            ("min_leaf_size", &self.min_leaf_size),
            ("learning_budget", &self.learning_budget),
        ] {
            if !(r.min > 0.0 && r.min <= r.max && r.max.is_finite()) {
                bail!("{name}: need 0 < min <= max");
            }
        }
        if self.shrinkage.max > 1.0 {
            bail!("shrinkage.max must be <= 1");
        }
        if self.min_leaf_size.max > MAX_MIN_LEAF_SIZE {
            bail!("min_leaf_size.max must be <= {MAX_MIN_LEAF_SIZE} (a leaf larger than the data makes trees without splits)");
        }
        if self.iterations.min == 0
            || self.iterations.min > self.iterations.max
            || self.iterations.max > 5000
        {
            bail!("iterations: need 1 <= min <= max <= 5000");
        }
        let shares = &self.rung_train_shares;
        if shares.last() != Some(&1.0)
            || shares.len() > 8
            || shares.iter().any(|s| s.is_nan())
            || shares[0] < 0.05
            || shares.windows(2).any(|w| w[0] >= w[1])
        {
            bail!("rung_train_shares: at most 8 rungs, rising strictly from at least 0.05 to exactly 1.0 (the last rung fits on all training matches)");
        }
        if self.rung_keep_shares.len() + 1 != shares.len()
            || self
                .rung_keep_shares
                .iter()
                .any(|k| !(*k > 0.0 && *k <= 1.0))
        {
            bail!(
                "rung_keep_shares needs one share in (0, 1] per rung but the last ({} for {} rungs)",
                shares.len() - 1,
                shares.len()
            );
        }
        if !(2..=4096).contains(&self.max_bins) {
            bail!("max_bins must be in 2..=4096");
        }
        Ok(())
    }

    /// The parameters of every trial, drawn with `seed`.
    pub fn draw(&self, trials: usize, seed: u64) -> Vec<Params> {
        let mut rng = Rng::new(seed ^ 0x7a11_5eed);
        (0..trials)
            .map(|_| {
                let max_depth = self.max_depth.values[rng.below(self.max_depth.values.len())];
                let shrinkage = self.shrinkage.sample(&mut rng) as f32;
                let min_leaf_size = self.min_leaf_size.sample(&mut rng).round() as usize;
                let budget = self.learning_budget.sample(&mut rng);
                let iterations = ((budget / shrinkage as f64).round() as usize)
                    .clamp(self.iterations.min, self.iterations.max);
                // Rounded so the trial log reads cleanly and reruns parse the same value.
                let shrinkage = (shrinkage * 1e4).round() / 1e4;
                Params {
                    max_depth,
                    shrinkage,
                    iterations,
                    min_leaf_size: min_leaf_size.max(1),
                }
            })
            .collect()
    }
}

/// One trial's record (a line of `trials.jsonl`).
#[derive(Debug, Clone, Serialize)]
pub struct Trial {
    pub trial: usize,
    pub rung: u8,
    pub params: Params,
    pub train_rows: usize,
    pub trees_grown: usize,
    pub trees_kept: usize,
    pub valid_log_loss: f64,
    pub fit_seconds: f64,
}

/// Training data for the search: binned rows (see [`crate::bins`]).
pub struct SearchData<'a> {
    pub bins: &'a Bins,
    pub train: &'a [BinRow],
    pub train_y: &'a [bool],
    /// Match id of each training row (rung 0 subsamples by match).
    pub train_match: &'a [u64],
    pub valid: &'a [BinRow],
    pub valid_y: &'a [bool],
    pub mask: [bool; N_FEATURES],
    /// See [`Space::early_stopping_trees`].
    pub early_stopping_trees: usize,
}

/// Fits one configuration on the training rows `idx`, stopping early and keeping the prefix
/// of trees with the best validation log loss.
pub fn fit_and_select(data: &SearchData, idx: &[usize], p: &Params) -> Result<Fitted> {
    boost::fit(
        Rows {
            x: data.train,
            y: data.train_y,
        },
        idx,
        &data.mask,
        Rows {
            x: data.valid,
            y: data.valid_y,
        },
        p,
        data.early_stopping_trees,
        data.bins,
    )
}

/// Runs `f` over `items` on all cores; results come back in item order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(i, &items[i]);
                out.lock().expect("no panic while locked")[i] = Some(r);
            });
        }
    });
    out.into_inner()
        .expect("no panic while locked")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

/// The search's result: the best model (trained on all training matches) and every trial.
pub struct Outcome {
    pub best: Fitted,
    pub best_params: Params,
    pub best_trial: usize,
    pub trials: Vec<Trial>,
}

pub fn run(
    space: &Space,
    trials: usize,
    seed: u64,
    data: &SearchData,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Outcome> {
    let params = space.draw(trials.max(1), seed);
    // The training matches in a seeded order; rung k fits on the first share of them, so
    // every rung's rows include the previous rung's.
    let mut matches: Vec<u64> = data.train_match.to_vec();
    matches.sort_unstable();
    matches.dedup();
    let mut rng = Rng::new(seed ^ 0x00c0_ffee);
    for i in (1..matches.len()).rev() {
        matches.swap(i, rng.below(i + 1));
    }
    let rows_of_share = |share: f64| -> Vec<usize> {
        let keep = ((matches.len() as f64 * share).ceil() as usize).clamp(1, matches.len());
        let subset: std::collections::HashSet<u64> = matches[..keep].iter().copied().collect();
        (0..data.train.len())
            .filter(|&i| subset.contains(&data.train_match[i]))
            .collect()
    };

    let done = AtomicUsize::new(0);
    // A rung's fits start longest first (by `cost`, an estimate) so that the cores finish
    // together instead of one waiting on a long fit started last. The results come back
    // ranked, best validation log loss first (ties by trial number), whatever the schedule.
    let run_rung = |rung: u8,
                    idx: &[usize],
                    which: &[usize],
                    cost: &dyn Fn(usize) -> f64|
     -> Result<Vec<(Trial, Fitted)>> {
        let n = which.len();
        let mut scheduled = which.to_vec();
        scheduled.sort_by(|&a, &b| cost(b).total_cmp(&cost(a)).then(a.cmp(&b)));
        let mut results = parallel_map(&scheduled, |_, &t| {
            let start = Instant::now();
            let fitted = fit_and_select(data, idx, &params[t])?;
            let trial = Trial {
                trial: t,
                rung,
                params: params[t],
                train_rows: idx.len(),
                trees_grown: fitted.trees_grown,
                trees_kept: fitted.trees_kept,
                valid_log_loss: fitted.valid_log_loss,
                fit_seconds: start.elapsed().as_secs_f64(),
            };
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(&format!(
                "  rung {rung} trial {k}/{n}: depth {} shrinkage {} min_leaf {} trees {} kept of {} grown (max {}) → valid log loss {:.5} ({:.2}s)",
                trial.params.max_depth, trial.params.shrinkage, trial.params.min_leaf_size, trial.trees_kept, trial.trees_grown, trial.params.iterations, trial.valid_log_loss, trial.fit_seconds
            ));
            Ok((trial, fitted))
        })
        .into_iter()
        .collect::<Result<Vec<(Trial, Fitted)>>>()?;
        results.sort_by(|(a, _), (b, _)| {
            a.valid_log_loss
                .total_cmp(&b.valid_log_loss)
                .then(a.trial.cmp(&b.trial))
        });
        Ok(results)
    };
    let mut trials: Vec<Trial> = Vec::new();
    let mut running: Vec<usize> = (0..params.len()).collect();
    // Rung 0's cost estimate: trees at most × levels per tree (a fit's work is about linear
    // in both); later rungs use the trial's measured fit time in the rung before.
    let mut cost: Vec<f64> = params
        .iter()
        .map(|p| (p.iterations * p.max_depth as usize) as f64)
        .collect();
    let last = space.rung_train_shares.len() - 1;
    let mut best = None;
    for (rung, &share) in space.rung_train_shares.iter().enumerate() {
        let idx = rows_of_share(share);
        done.store(0, Ordering::Relaxed);
        let mut ranked = run_rung(rung as u8, &idx, &running, &|t| cost[t])?.into_iter();
        if rung == last {
            let (t, fitted) = ranked.next().context("no finalist")?;
            best = Some((t.clone(), fitted));
            trials.push(t);
            trials.extend(ranked.map(|(t, _)| t));
            break;
        }
        let n_keep = ((running.len() as f64 * space.rung_keep_shares[rung]).ceil() as usize)
            .clamp(1, running.len());
        let rung_trials: Vec<Trial> = ranked.map(|(t, _)| t).collect();
        running = rung_trials[..n_keep].iter().map(|t| t.trial).collect();
        for t in &rung_trials {
            cost[t.trial] = t.fit_seconds;
        }
        trials.extend(rung_trials);
    }
    let (best_trial, best) = best.context("no finalist")?;
    Ok(Outcome {
        best,
        best_params: best_trial.params,
        best_trial: best_trial.trial,
        trials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_space_parses_and_draws_deterministically() {
        let s = Space::load(None).unwrap();
        assert_eq!(s.trials, 50);
        let a = s.draw(50, 1);
        assert_eq!(a, s.draw(50, 1));
        assert_ne!(a, s.draw(50, 2));
        for p in &a {
            assert!(
                (0.04..=0.2).contains(&(p.shrinkage as f64)) && (40..=300).contains(&p.iterations)
            );
        }
    }

    #[test]
    fn bad_spaces_are_refused_with_the_reason() {
        let bad = DEFAULT_SPACE.replace("min = 0.04", "min = -1.0");
        let e = format!("{:#}", Space::parse(&bad, "x.toml").unwrap_err());
        assert!(e.contains("x.toml") && e.contains("shrinkage"), "{e}");
        assert!(Space::parse("version = 1\nbogus = 2", "y.toml").is_err());
        for (from, to) in [
            ("[0.25, 1.0]", "[0.25, 0.9]"),
            ("[0.25, 1.0]", "[0.5, 0.25, 1.0]"),
            ("[0.25, 1.0]", "[0.01, 1.0]"),
            ("[0.25, 1.0]", "[]"),
            (
                "rung_keep_shares = [0.08]",
                "rung_keep_shares = [0.08, 0.5]",
            ),
            ("rung_keep_shares = [0.08]", "rung_keep_shares = [0.0]"),
        ] {
            let bad = DEFAULT_SPACE.replace(from, to);
            assert_ne!(bad, DEFAULT_SPACE);
            let e = format!("{:#}", Space::parse(&bad, "z.toml").unwrap_err());
            assert!(e.contains("z.toml") && e.contains("rung_"), "{to}: {e}");
        }
        // NaN, counts out of range.
        for (from, to, what) in [
            ("[0.25, 1.0]", "[nan, 1.0]", "rung_train_shares"),
            ("[0.25, 1.0]", "[0.25, nan, 1.0]", "rung_train_shares"),
            (
                "rung_keep_shares = [0.08]",
                "rung_keep_shares = [nan]",
                "rung_keep_shares",
            ),
            ("trials = 50", "trials = 0", "trials must be in 1..=10000"),
            (
                "trials = 50",
                "trials = 10001",
                "trials must be in 1..=10000",
            ),
            ("max = 300\n", "max = 1e30\n", "min_leaf_size"),
            ("max = 0.2", "max = nan", "shrinkage"),
        ] {
            // The first match only: `max = 300` is min_leaf_size's, then iterations'.
            let bad = DEFAULT_SPACE.replacen(from, to, 1);
            assert_ne!(bad, DEFAULT_SPACE, "{to}");
            let e = format!("{:#}", Space::parse(&bad, "n.toml").unwrap_err());
            assert!(e.contains("n.toml") && e.contains(what), "{to}: {e}");
        }
        // Depths the scorer could not take once kind routing adds its levels (11 + 2 > 12).
        for values in ["[0, 4]", "[4, 11]", "[]"] {
            let bad = DEFAULT_SPACE.replace("[3, 4, 5, 6]", values);
            assert_ne!(bad, DEFAULT_SPACE);
            let e = format!("{:#}", Space::parse(&bad, "d.toml").unwrap_err());
            assert!(
                e.contains("d.toml") && e.contains("1..=10"),
                "{values}: {e}"
            );
        }
        assert!(Space::parse(&DEFAULT_SPACE.replace("[3, 4, 5, 6]", "[10]"), "t.toml").is_ok());
        let three = DEFAULT_SPACE
            .replace("[0.25, 1.0]", "[0.125, 0.25, 1.0]")
            .replace(
                "rung_keep_shares = [0.08]",
                "rung_keep_shares = [0.25, 0.34]",
            );
        assert_eq!(
            Space::parse(&three, "t.toml")
                .unwrap()
                .rung_train_shares
                .len(),
            3
        );
    }

    #[test]
    fn each_rung_keeps_its_share_of_the_trials_on_nested_rows() {
        let mut rng = Rng::new(5);
        let mut gen = |n: usize| -> (Vec<[f32; N_FEATURES]>, Vec<bool>) {
            (0..n)
                .map(|_| {
                    let mut r = [0.0f32; N_FEATURES];
                    for v in r.iter_mut() {
                        *v = rng.unit() * 10.0;
                    }
                    let p = r[0] / 12.0;
                    (r, rng.chance(p))
                })
                .unzip()
        };
        let (train, train_y) = gen(800);
        let (valid, valid_y) = gen(300);
        let bins = Bins::fit(&train, 16);
        let all = [true; N_FEATURES];
        let (tb, vb) = (bins.bin_rows(&train, &all), bins.bin_rows(&valid, &all));
        let train_match: Vec<u64> = (0..train.len() as u64).map(|i| i / 10).collect();
        let data = SearchData {
            bins: &bins,
            train: &tb,
            train_y: &train_y,
            train_match: &train_match,
            valid: &vb,
            valid_y: &valid_y,
            mask: all,
            early_stopping_trees: 3,
        };
        let space = Space::parse(
            &DEFAULT_SPACE
                .replace("[0.25, 1.0]", "[0.25, 0.5, 1.0]")
                .replace("rung_keep_shares = [0.08]", "rung_keep_shares = [0.5, 0.5]")
                .replace("min = 40", "min = 5")
                .replace("max = 300", "max = 10"),
            "test",
        )
        .unwrap();
        let out = run(&space, 8, 3, &data, &|_| {}).unwrap();
        let per_rung: Vec<Vec<&Trial>> = (0..3)
            .map(|r| out.trials.iter().filter(|t| t.rung == r).collect())
            .collect();
        assert_eq!(per_rung.iter().map(Vec::len).collect::<Vec<_>>(), [8, 4, 2]);
        // 80 matches of 10 rows: a quarter, half, all of them.
        assert_eq!(
            per_rung.iter().map(|r| r[0].train_rows).collect::<Vec<_>>(),
            [200, 400, 800]
        );
        // Rung k + 1 runs exactly the best half of rung k, by validation log loss.
        for k in 0..2 {
            let mut ranked = per_rung[k].clone();
            ranked.sort_by(|a, b| a.valid_log_loss.total_cmp(&b.valid_log_loss));
            let mut best: Vec<usize> = ranked[..per_rung[k + 1].len()]
                .iter()
                .map(|t| t.trial)
                .collect();
            let mut next: Vec<usize> = per_rung[k + 1].iter().map(|t| t.trial).collect();
            best.sort_unstable();
            next.sort_unstable();
            assert_eq!(best, next);
        }
        let winner = per_rung[2]
            .iter()
            .min_by(|a, b| a.valid_log_loss.total_cmp(&b.valid_log_loss))
            .unwrap();
        assert_eq!(out.best_trial, winner.trial);
        assert_eq!(out.best.valid_log_loss, winner.valid_log_loss);
        // Same seed, same outcome, whatever the thread timing.
        let again = run(&space, 8, 3, &data, &|_| {}).unwrap();
        assert_eq!(again.best.model.to_bytes(), out.best.model.to_bytes());
    }
}
