//! The one JSON line `bench_openfisca.py` prints, read for the side-by-side table.

use anyhow::{Context, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct MinMedian {
    pub min: f64,
    pub median: f64,
}

#[derive(Deserialize)]
pub struct OpenFisca {
    pub persons: u64,
    pub households: u64,
    pub csv_s: MinMedian,
    pub load_s: MinMedian,
    pub compute_s: MinMedian,
    pub peak_rss_mb: f64,
}

impl OpenFisca {
    pub fn parse(line: &str) -> Result<OpenFisca> {
        serde_json::from_str(line.trim()).context("the OpenFisca benchmark's line is not the expected JSON")
    }
}
