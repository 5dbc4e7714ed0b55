//! Match quality against a truth file (demo scenarios, tests and benchmarks only: it needs
//! the key to map references back to rows, which only an office, or a test, holds).
//!
//! Pairwise measures over records: a pair of records is predicted linked when `compare`
//! put them in one cluster, and truly linked when the truth file gives them one person.
//! Rows that were rejected (no token) count as missed links.

use std::collections::HashMap;
use std::io::Read;

use serde::Serialize;

use crate::compare::RecordClusters;
use crate::error::{Error, Result};
use crate::keys::{Secret, Token};
use crate::pipeline::{Context, InputOptions};
use crate::tokens::open_list;

#[derive(Clone, Debug, Serialize)]
pub struct Quality {
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Distinct people in the truth, and clusters found.
    pub people_true: u64,
    pub people_found: u64,
}

/// The record references of every row of a list, in row order.
pub fn list_references<R: Read>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
) -> Result<Vec<Token>> {
    let digest = ctx.workflow.digest();
    let key = secret.ref_key(&digest, party);
    let (mut reader, _) = open_list(input, file_name, opts, ctx.today.year)?;
    let mut out = Vec::new();
    while let Some(row) = reader.next_row()? {
        out.push(key.reference(row.offset, row.raw.iter()));
    }
    Ok(out)
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Evaluates clusters (party, reference, cluster id) against `truth.csv`
/// (`party,row,person`), given each party's references in row order.
pub fn evaluate(
    truth_csv: &[u8],
    references: &HashMap<String, Vec<Token>>,
    clusters: &RecordClusters,
) -> Result<Quality> {
    let cluster_of: HashMap<(&str, Token), u32> =
        clusters.iter().map(|(p, r, c)| ((p, *r), c)).collect();
    let mut rdr = csv::ReaderBuilder::new().from_reader(truth_csv);
    let mut person_ids: HashMap<String, u32> = HashMap::new();
    let mut per_person: HashMap<u32, u64> = HashMap::new();
    let mut per_cell: HashMap<(u32, u32), u64> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec =
            rec.map_err(|e| Error::invalid("truth.csv", Some(i as u64 + 2), None, e.to_string()))?;
        let (party, row, person) = (&rec[0], &rec[1], &rec[2]);
        let row: usize = row.parse().map_err(|_| {
            Error::invalid("truth.csv", Some(i as u64 + 2), Some("row"), "bukan angka")
        })?;
        let next = person_ids.len() as u32;
        let pid = *person_ids.entry(person.to_string()).or_insert(next);
        *per_person.entry(pid).or_default() += 1;
        let Some(r) = references
            .get(party)
            .and_then(|v| v.get(row.wrapping_sub(1)))
        else {
            continue;
        };
        if let Some(c) = cluster_of.get(&(party, *r)) {
            *per_cell.entry((*c, pid)).or_default() += 1;
        }
    }
    let mut cluster_size: HashMap<u32, u64> = HashMap::new();
    for &c in &clusters.cluster {
        *cluster_size.entry(c).or_default() += 1;
    }
    let true_pairs: u64 = per_person.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = cluster_size.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = per_cell.values().map(|&n| pairs(n)).sum();
    let precision = if predicted_pairs == 0 {
        1.0
    } else {
        correct_pairs as f64 / predicted_pairs as f64
    };
    let recall = if true_pairs == 0 {
        1.0
    } else {
        correct_pairs as f64 / true_pairs as f64
    };
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    Ok(Quality {
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1,
        people_true: person_ids.len() as u64,
        people_found: cluster_size.len() as u64,
    })
}
