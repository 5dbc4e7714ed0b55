//! The synthetic Kabupaten Cirebon scenario used by `padan demo`, the tests and the
//! benchmarks. Deterministic for a given seed.

use std::io::{self, Write};

/// The demo's data-holding parties: (party id, display name, file name).
/// The first is the reference list (DTKS).
pub const LISTS: &[(&str, &str, &str)] = &[
    ("dtks", "Dinas Sosial (DTKS)", "dtks.csv"),
    ("dinkes", "Dinas Kesehatan (PBI-JK)", "dinkes_pbi.csv"),
    ("disdik", "Dinas Pendidikan (PIP)", "disdik_pip.csv"),
    ("dpmd", "DPMD (BLT Dana Desa)", "dpmd_blt.csv"),
    ("baznas", "Baznas", "baznas.csv"),
];

/// Configuration of one scenario.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// Number of distinct people in the population the lists draw from.
    pub people: usize,
    pub seed: u64,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct DemoManifest {
    /// (party id, file name, data rows written)
    pub lists: Vec<(String, String, u64)>,
    /// Rows in `truth.csv`.
    pub truth_rows: u64,
}

/// Writes every list (`LISTS[i].2`) and `truth.csv` (columns `party,row,person`; `row` is
/// the 1-based data-record number in that party's file, header excluded) through `open`.
pub fn generate(
    cfg: &DemoConfig,
    open: &mut dyn FnMut(&str) -> io::Result<Box<dyn Write>>,
) -> io::Result<DemoManifest> {
    todo!()
}
