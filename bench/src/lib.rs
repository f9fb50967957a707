//! What the benchmark binaries share: timing a measurement over several runs, filling the survey
//! (`fill`) and recording a facilitator's day into a laptop store (`day`).

use std::time::{Duration, Instant};

pub mod day;
pub mod fill;

/// Best and median of `runs` calls of `f` (at least one), and the last call's result. The best
/// is the figure least disturbed by the rest of the machine; the median shows how steady it was.
pub fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs.max(1));
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed());
    }
    times.sort();
    (times[0], times[times.len() / 2], last.expect("at least one run"))
}

/// As [`timed`], with `prepare(state, run)` done before each run and left out of its time: a
/// change made before each drawing, say. Both parts get `state` (a store, say) in turn.
pub fn timed_after<S, P, T>(
    runs: usize,
    state: &mut S,
    mut prepare: impl FnMut(&mut S, usize) -> P,
    mut f: impl FnMut(&mut S, P) -> T,
) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs.max(1));
    let mut last = None;
    for run in 0..runs.max(1) {
        let prepared = prepare(state, run);
        let start = Instant::now();
        last = Some(f(state, prepared));
        times.push(start.elapsed());
    }
    times.sort();
    (times[0], times[times.len() / 2], last.expect("at least one run"))
}
