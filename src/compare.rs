//! The coordinator's comparison. Needs no key and refuses one.
//!
//! Records of all lists are linked by shared tokens, match key by match key, strongest
//! first, with a union-find over records. A link made by key `i` between two clusters that
//! both already hold a token of some stronger key `j < i` is refused as a **conflict to
//! verify**: had their key-`j` tokens been equal, key `j` would have joined them already,
//! so they disagree (same name and birth date, different NIK). Clusters are people.
//!
//! Out come a summary for the coordinator (counts below the workflow's k suppressed) and
//! one result file per office, holding only that office's own references and statuses.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::keys::{Token, TOKEN_LEN};
use crate::pipeline::{Context, Progress};
use crate::result::{ResultHeader, ResultRow, Status};
use crate::tokens::TokenReader;
use crate::workflow::Workflow;

/// A per-office result file, ready to hand out.
#[derive(Clone, Debug)]
pub struct ResultFile {
    pub party: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Everything `compare` produces.
#[derive(Clone, Debug)]
pub struct CompareOutput {
    pub summary: Summary,
    pub summary_text: String,
    pub results: Vec<ResultFile>,
    /// Coordinator-internal: the cluster (person) of every record, by party and reference.
    /// Never written to a result file; used to measure quality on the demo.
    pub clusters: Vec<(String, Token, u32)>,
}

/// A count as released: the number, or `"<k"` when suppressed.
pub type Count = serde_json::Value;

/// The coordinator's summary. Every count between 1 and k-1 is suppressed, and so is the
/// smallest other count of a table whose total is shown, when only one was suppressed.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub workflow_id: String,
    pub workflow_digest: String,
    pub kcv: String,
    pub k: u32,
    /// Distinct people across all lists: the one poverty count.
    pub people_total: Count,
    pub lists: Vec<ListSummary>,
    /// Pairwise overlaps: people in both lists.
    pub overlaps: Vec<Overlap>,
    /// Every combination of lists (UpSet): people in exactly these lists.
    pub combinations: Vec<Combination>,
    /// Per match key: links made and conflicts found.
    pub links: Vec<KeyLinks>,
    /// Records involved in a conflict to verify.
    pub conflict_records: Count,
    pub created_by: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ListSummary {
    pub party: String,
    pub name: String,
    pub records: Count,
    pub people: Count,
    /// Records that are a second (or later) record of the same person in the same list.
    pub duplicates: Count,
    pub statuses: BTreeMap<String, Count>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Overlap {
    pub a: String,
    pub b: String,
    pub people: Count,
}

#[derive(Clone, Debug, Serialize)]
pub struct Combination {
    pub parties: Vec<String>,
    pub people: Count,
}

#[derive(Clone, Debug, Serialize)]
pub struct KeyLinks {
    pub key: String,
    pub links: Count,
    pub conflicts: Count,
}

struct Loaded {
    party: Vec<u8>,
    refs: Vec<Token>,
    /// `tokens[rec * nk + i]`, zero when absent (see `masks`).
    tokens: Vec<Token>,
    masks: Vec<u8>,
}

/// Union-find with path halving and per-root key masks.
struct Clusters {
    parent: Vec<u32>,
    mask: Vec<u8>,
}

impl Clusters {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }
}

/// Compares the token files of one workflow.
pub fn compare(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    let wf = ctx.workflow;
    wf.check_valid_on(ctx.today, ctx.workflow_file)?;
    if inputs.is_empty() {
        return Err(Error::Refused { what: "tidak ada berkas token untuk dibandingkan.".into() });
    }
    let data_parties: Vec<&str> = wf.data_parties().map(|p| p.id.as_str()).collect();
    if data_parties.len() > 64 {
        return Err(Error::workflow(ctx.workflow_file, Some("parties"), "paling banyak 64 pihak pemegang daftar."));
    }
    let nk = wf.match_keys.len();
    let mut loaded = Loaded { party: Vec::new(), refs: Vec::new(), tokens: Vec::new(), masks: Vec::new() };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut kcv: Option<(String, String)> = None;
    let mut rows = 0u64;
    for (name, input) in inputs {
        let mut r = TokenReader::new(input, &name)?;
        r.check_against(wf)?;
        let h = r.header.clone();
        match &kcv {
            None => kcv = Some((h.kcv.clone(), name.clone())),
            Some((k, first)) if *k != h.kcv => {
                return Err(Error::mismatch(
                    &name,
                    format!(
                        "dibuat dengan kunci lain (KCV {}) daripada {first} (KCV {k}). Semua OPD harus memakai kunci yang sama dari pemegang kunci.",
                        h.kcv
                    ),
                ))
            }
            _ => {}
        }
        if let Some(other) = seen.insert(h.party.clone(), name.clone()) {
            return Err(Error::mismatch(
                &name,
                format!("pihak '{}' sudah diwakili oleh berkas {other}: satu berkas per pihak.", h.party),
            ));
        }
        let p = data_parties.iter().position(|x| *x == h.party).expect("checked against the workflow") as u8;
        let n = h.records as usize;
        loaded.party.reserve(n);
        loaded.refs.reserve(n);
        loaded.tokens.reserve(n * nk);
        loaded.masks.reserve(n);
        while r.next_raw()? {
            let raw = r.raw();
            loaded.party.push(p);
            loaded.refs.push(raw[..TOKEN_LEN].try_into().expect("16 bytes"));
            loaded.masks.push(raw[TOKEN_LEN]);
            for i in 0..nk {
                let off = TOKEN_LEN + 1 + i * TOKEN_LEN;
                loaded.tokens.push(raw[off..off + TOKEN_LEN].try_into().expect("16 bytes"));
            }
            rows += 1;
            if rows % 65536 == 0 {
                progress(Progress { rows, bytes: 0 });
            }
        }
    }
    if loaded.refs.len() > u32::MAX as usize - 1 {
        return Err(Error::Refused { what: "terlalu banyak rekaman untuk satu perbandingan (batas 4 miliar).".into() });
    }
    let out = link(wf, &data_parties, &loaded, kcv.map(|k| k.0).unwrap_or_default(), &mut |r| {
        progress(Progress { rows: rows + r, bytes: 0 })
    });
    Ok(out)
}

fn token_prefix(t: &Token) -> u64 {
    u64::from_be_bytes(t[..8].try_into().expect("8 bytes"))
}

fn link(wf: &Workflow, parties: &[&str], l: &Loaded, kcv: String, progress: &mut dyn FnMut(u64)) -> CompareOutput {
    let n = l.refs.len();
    let nk = wf.match_keys.len();
    let mut cl = Clusters { parent: (0..n as u32).collect(), mask: l.masks.clone() };
    let mut conflict = vec![false; n];
    let mut links = vec![0u64; nk];
    let mut conflicts = vec![0u64; nk];
    // Sorted (prefix, record) per key, kept for the second pass.
    let mut sorted: Vec<Vec<(u64, u32)>> = Vec::with_capacity(nk);
    for i in 0..nk {
        let mut v: Vec<(u64, u32)> = (0..n as u32)
            .filter(|&r| l.masks[r as usize] & (1 << i) != 0)
            .map(|r| (token_prefix(&l.tokens[r as usize * nk + i]), r))
            .collect();
        v.sort_unstable();
        let stronger: u8 = (1u8 << i) - 1;
        let mut roots: Vec<u32> = Vec::new();
        for_each_group(&v, l, nk, i, |group| {
            roots.clear();
            for &x in group {
                let mut rx = cl.find(x);
                let mut merged = false;
                for j in 0..roots.len() {
                    let rr = cl.find(roots[j]);
                    roots[j] = rr;
                    if rr == rx {
                        merged = true;
                        continue;
                    }
                    if cl.mask[rx as usize] & cl.mask[rr as usize] & stronger != 0 {
                        conflicts[i] += 1;
                        continue;
                    }
                    if !merged {
                        let m = cl.mask[rx as usize] | cl.mask[rr as usize];
                        cl.parent[rx as usize] = rr;
                        cl.mask[rr as usize] = m;
                        links[i] += 1;
                        rx = rr;
                        merged = true;
                    }
                }
                if !merged {
                    roots.push(rx);
                }
            }
        });
        sorted.push(v);
        progress(((i + 1) * n) as u64);
    }
    // A group of equal tokens that spans more than one cluster holds a refused link: every
    // record in it is a conflict to verify (a cluster's masks only grow, so a refused link
    // is never made later by a weaker key).
    let root: Vec<u32> = (0..n as u32).map(|x| cl.find(x)).collect();
    for (i, v) in sorted.iter().enumerate() {
        for_each_group(v, l, nk, i, |group| {
            let r0 = root[group[0] as usize];
            if group.iter().any(|&x| root[x as usize] != r0) {
                for &x in group {
                    conflict[x as usize] = true;
                }
            }
        });
    }
    // Strongest key linking each record to another party's record of its cluster.
    let mut best = vec![u8::MAX; n];
    for (i, v) in sorted.iter().enumerate() {
        for_each_group(v, l, nk, i, |group| {
            for &x in group {
                if best[x as usize] != u8::MAX {
                    continue;
                }
                let other = group.iter().any(|&y| {
                    l.party[y as usize] != l.party[x as usize] && root[y as usize] == root[x as usize]
                });
                if other {
                    best[x as usize] = i as u8;
                }
            }
        });
    }
    drop(sorted);

    // Per cluster: party mask and whether any party appears twice.
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&x| root[x as usize]);
    let np = parties.len();
    let mut cluster_mask = vec![0u64; n];
    let mut dup_party = vec![0u64; n];
    let mut people_per_list = vec![0u64; np];
    let mut records_per_list = vec![0u64; np];
    let mut combos: BTreeMap<u64, u64> = BTreeMap::new();
    let mut pair = vec![0u64; np * np];
    let mut people_total = 0u64;
    let mut start = 0;
    while start < n {
        let r = root[order[start] as usize];
        let mut end = start;
        let (mut m, mut d) = (0u64, 0u64);
        while end < n && root[order[end] as usize] == r {
            let p = l.party[order[end] as usize];
            records_per_list[p as usize] += 1;
            if m & (1 << p) != 0 {
                d |= 1 << p;
            }
            m |= 1 << p;
            end += 1;
        }
        cluster_mask[r as usize] = m;
        dup_party[r as usize] = d;
        people_total += 1;
        *combos.entry(m).or_default() += 1;
        for a in 0..np {
            if m & (1 << a) == 0 {
                continue;
            }
            people_per_list[a] += 1;
            for b in a + 1..np {
                if m & (1 << b) != 0 {
                    pair[a * np + b] += 1;
                }
            }
        }
        start = end;
    }

    // Statuses and result files.
    let reference = parties.iter().position(|p| *p == wf.reference).expect("validated") as u8;
    let mut statuses = vec![BTreeMap::<String, u64>::new(); np];
    let mut per_party: Vec<Vec<ResultRow>> = vec![Vec::new(); np];
    let mut clusters = Vec::with_capacity(n);
    for x in 0..n {
        let p = l.party[x];
        let r = root[x] as usize;
        let others = cluster_mask[r] & !(1u64 << p);
        let status = if conflict[x] {
            Status::Conflict
        } else if others == 0 {
            Status::NotFound
        } else if best[x] == 0 {
            Status::Matched
        } else {
            Status::MatchedWeaker
        };
        let duplicate = dup_party[r] & (1 << p) != 0;
        *statuses[p as usize].entry(status.code().to_string()).or_default() += 1;
        if duplicate {
            *statuses[p as usize].entry("duplicate".to_string()).or_default() += 1;
        }
        let rule = wf.disclosure_for(parties[p as usize]);
        let in_reference = (rule.in_reference && p != reference).then_some(cluster_mask[r] & (1 << reference) != 0);
        let other_lists = rule.other_lists.then(|| {
            (0..np).filter(|&q| others & (1 << q) != 0).map(|q| parties[q].to_string()).collect::<Vec<_>>()
        });
        per_party[p as usize].push(ResultRow { reference: l.refs[x], status, duplicate, in_reference, other_lists });
        clusters.push((parties[p as usize].to_string(), l.refs[x], root[x]));
    }
    let digest = wf.digest_hex();
    let mut results = Vec::new();
    for (p, rows) in per_party.into_iter().enumerate() {
        if records_per_list[p] == 0 {
            continue;
        }
        let rule = wf.disclosure_for(parties[p]);
        let header = ResultHeader::new(wf, &digest, parties[p], &kcv, &rows, &rule, p as u8 == reference);
        let bytes = crate::result::write_result(&header, rows);
        results.push(ResultFile { party: parties[p].to_string(), file_name: format!("{}.result.csv", parties[p]), bytes });
    }

    // The summary, with suppression.
    let k = wf.k as u64;
    let sup = |c: u64| -> Count {
        if c > 0 && c < k {
            serde_json::Value::String(format!("<{k}"))
        } else {
            c.into()
        }
    };
    let names: BTreeMap<&str, &str> = wf.parties.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let present: Vec<usize> = (0..np).filter(|&p| records_per_list[p] > 0).collect();
    let conflict_records = conflict.iter().filter(|c| **c).count() as u64;
    let mut lists = Vec::new();
    for &p in &present {
        let mut st: Vec<(String, u64)> =
            ["matched", "matched_weaker", "conflict", "not_found"].iter().map(|s| (s.to_string(), *statuses[p].get(*s).unwrap_or(&0))).collect();
        let hidden = secondary(&st.iter().map(|(_, c)| *c).collect::<Vec<_>>(), k);
        let mut map: BTreeMap<String, Count> = BTreeMap::new();
        for (j, (s, c)) in st.drain(..).enumerate() {
            map.insert(s, if hidden[j] { serde_json::Value::String(format!("<{k}")) } else { sup(c) });
        }
        map.insert("duplicate".into(), sup(*statuses[p].get("duplicate").unwrap_or(&0)));
        lists.push(ListSummary {
            party: parties[p].to_string(),
            name: names.get(parties[p]).unwrap_or(&"").to_string(),
            records: sup(records_per_list[p]),
            people: sup(people_per_list[p]),
            duplicates: sup(records_per_list[p] - people_per_list[p]),
            statuses: map,
        });
    }
    let mut overlaps = Vec::new();
    for (ai, &a) in present.iter().enumerate() {
        for &b in &present[ai + 1..] {
            overlaps.push(Overlap { a: parties[a].into(), b: parties[b].into(), people: sup(pair[a * np + b]) });
        }
    }
    let combo_list: Vec<(u64, u64)> = combos.into_iter().collect();
    let hidden = secondary(&combo_list.iter().map(|(_, c)| *c).collect::<Vec<_>>(), k);
    let mut combinations: Vec<Combination> = combo_list
        .iter()
        .zip(hidden)
        .map(|((m, c), h)| Combination {
            parties: (0..np).filter(|q| m & (1 << q) != 0).map(|q| parties[q].to_string()).collect(),
            people: if h { serde_json::Value::String(format!("<{k}")) } else { sup(*c) },
        })
        .collect();
    combinations.sort_by(|a, b| a.parties.len().cmp(&b.parties.len()).then(a.parties.cmp(&b.parties)));
    let summary = Summary {
        format: "padan-summary/1",
        workflow_id: wf.id.clone(),
        workflow_digest: digest,
        kcv,
        k: wf.k,
        people_total: sup(people_total),
        lists,
        overlaps,
        combinations,
        links: wf
            .match_keys
            .iter()
            .enumerate()
            .map(|(i, key)| KeyLinks { key: key.name.clone(), links: sup(links[i]), conflicts: sup(conflicts[i]) })
            .collect(),
        conflict_records: sup(conflict_records),
        created_by: format!("padan {}", crate::VERSION),
    };
    let summary_text = crate::result::summary_text(&summary, wf);
    CompareOutput { summary, summary_text, results, clusters }
}

/// Secondary suppression for a table whose total is published: when exactly one cell is
/// suppressed (1..k-1), the smallest other non-zero cell is hidden too, so the suppressed
/// one cannot be recomputed from the total. Returns which cells to hide beyond the primary
/// rule.
fn secondary(cells: &[u64], k: u64) -> Vec<bool> {
    let primary: Vec<bool> = cells.iter().map(|&c| c > 0 && c < k).collect();
    let mut hide = vec![false; cells.len()];
    if primary.iter().filter(|p| **p).count() == 1 {
        if let Some((j, _)) =
            cells.iter().enumerate().filter(|(j, c)| !primary[*j] && **c > 0).min_by_key(|(_, c)| **c)
        {
            hide[j] = true;
        }
    }
    hide
}

/// Calls `f` with each group (>= 2 records) of equal full tokens of key `i`.
fn for_each_group(v: &[(u64, u32)], l: &Loaded, nk: usize, i: usize, mut f: impl FnMut(&[u32])) {
    let mut group: Vec<u32> = Vec::new();
    let mut s = 0;
    while s < v.len() {
        let mut e = s + 1;
        while e < v.len() && v[e].0 == v[s].0 {
            e += 1;
        }
        if e - s >= 2 {
            // Equal 64-bit prefixes: split by the full 128-bit token.
            let mut run: Vec<u32> = v[s..e].iter().map(|x| x.1).collect();
            run.sort_unstable_by_key(|&r| l.tokens[r as usize * nk + i]);
            let mut a = 0;
            while a < run.len() {
                let t = l.tokens[run[a] as usize * nk + i];
                let mut b = a + 1;
                while b < run.len() && l.tokens[run[b] as usize * nk + i] == t {
                    b += 1;
                }
                if b - a >= 2 {
                    group.clear();
                    group.extend_from_slice(&run[a..b]);
                    f(&group);
                }
                a = b;
            }
        }
        s = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_suppression() {
        assert_eq!(secondary(&[100, 3, 50, 0], 5), vec![false, false, true, false]);
        assert_eq!(secondary(&[100, 3, 2, 50], 5), vec![false; 4]);
        assert_eq!(secondary(&[100, 50], 5), vec![false; 2]);
    }
}
