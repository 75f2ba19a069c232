//! Timing helpers shared by the benchmarks (a plain harness, no criterion).

#![allow(dead_code)]

use std::time::{Duration, Instant};

/// Median and fastest of several timed repetitions.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub median: Duration,
    pub min: Duration,
}

impl Timing {
    pub fn of(mut runs: Vec<Duration>) -> Timing {
        runs.sort();
        Timing {
            median: runs[runs.len() / 2],
            min: runs[0],
        }
    }
}

/// Runs `f` twice to warm up, then `reps` times, timing each run.
pub fn time(reps: usize, mut f: impl FnMut()) -> Timing {
    f();
    f();
    Timing::of(
        (0..reps)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

pub fn ns_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
