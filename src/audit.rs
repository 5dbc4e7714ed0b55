//! The audit trail: a receipt for every step, and the coordinator's append-only,
//! hash-chained log of comparison runs.
//!
//! Receipts and log entries hold digests, counts, party ids, times and the software
//! version: never personal data, never tokens.
//!
//! The log is JSON Lines. Entry n carries `seq` = n (from 1), `prev` = the `hash` of entry
//! n-1 (64 zeros for the first) and `hash` = SHA-256 of the entry's canonical JSON without
//! `hash`. Changing, removing or reordering any entry breaks a link that [`verify`] reports.
//! Cutting entries off the end leaves a shorter valid chain, so each run's receipt also
//! records its entry's hash, and `verify` accepts the head hash the coordinator last
//! published (`expect_head`).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::approval::Authorization;
use crate::error::{Error, Location, Result};

pub const LOG_FORMAT: &str = "padan-audit/1";
pub const RECEIPT_FORMAT: &str = "padan-step-receipt/1";
/// `prev` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A file a step read or wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileFact {
    /// The file's name (no directories).
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    /// The party the file belongs to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    /// Records in it, when it is a token or result file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
}

impl FileFact {
    pub fn of(name: &str, bytes: &[u8]) -> FileFact {
        FileFact::digested(
            name.to_string(),
            hex::encode(Sha256::digest(bytes)),
            bytes.len() as u64,
        )
    }

    /// The fact of a file whose digest (hex SHA-256) and size are known already, e.g.
    /// computed while the file was read or written.
    pub fn digested(name: String, sha256: String, bytes: u64) -> FileFact {
        FileFact {
            name,
            sha256,
            bytes,
            party: None,
            records: None,
        }
    }
}

/// The approval a step ran under, as receipts and the log record it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalFact {
    pub workflow_id: String,
    pub workflow_digest: String,
    pub approval_digest: String,
    /// Fingerprints of the officer keys whose signatures were accepted.
    pub officers: Vec<String>,
}

impl From<&Authorization> for ApprovalFact {
    fn from(a: &Authorization) -> Self {
        ApprovalFact {
            workflow_id: a.workflow_id.clone(),
            workflow_digest: a.workflow_digest.clone(),
            approval_digest: a.approval_digest.clone(),
            officers: a.officers.iter().map(|(_, f)| f.clone()).collect(),
        }
    }
}

/// The receipt of one step (check, tokenize, compare, reattach).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub format: String,
    /// `check`, `tokenize`, `compare` or `reattach`.
    pub step: String,
    pub software: String,
    pub approval: ApprovalFact,
    /// The party that ran the step.
    pub party: String,
    /// The key check value, for steps that used the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kcv: Option<String>,
    pub inputs: Vec<FileFact>,
    pub outputs: Vec<FileFact>,
    /// RFC 3339 UTC times from the caller's clock.
    pub started: String,
    pub finished: String,
    /// The step's own counts (no personal data, no tokens).
    pub counts: serde_json::Value,
    /// For `compare` with a log: the hash of the log entry this run appended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_entry: Option<String>,
}

impl Receipt {
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::approval::json_file(self)
    }
}

/// One line of the coordinator's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub format: String,
    pub seq: u64,
    pub prev: String,
    pub time: String,
    pub event: String,
    pub software: String,
    pub approval: ApprovalFact,
    pub inputs: Vec<FileFact>,
    pub outputs: Vec<FileFact>,
    /// Summary counts as released to the coordinator (already suppressed below k).
    pub counts: serde_json::Value,
    pub hash: String,
}

fn entry_hash(e: &Entry) -> String {
    let mut v = serde_json::to_value(e).expect("serializable");
    v.as_object_mut().expect("an object").remove("hash");
    hex::encode(Sha256::digest(
        serde_json::to_vec(&v).expect("serializable"),
    ))
}

/// What a valid log holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogReport {
    pub entries: u64,
    /// The last entry's hash ([`GENESIS`] for an empty log).
    pub head: String,
}

fn broken(file: &str, line: u64, what: String) -> Error {
    Error::Invalid {
        loc: Location {
            file: file.to_string(),
            line: Some(line),
            field: None,
        },
        what: format!("rantai log audit putus di sini: {what}"),
    }
}

/// Checks the whole chain and reports the first broken link (its line and what is wrong).
pub fn verify(log: &[u8], file: &str, expect_head: Option<&str>) -> Result<LogReport> {
    let text = std::str::from_utf8(log)
        .map_err(|_| Error::invalid(file, None, None, "log audit bukan teks UTF-8."))?;
    let mut prev = GENESIS.to_string();
    let mut n = 0u64;
    for (i, line) in text.split('\n').enumerate() {
        let lineno = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let e: Entry = serde_json::from_str(line).map_err(|err| {
            broken(
                file,
                lineno,
                format!("baris bukan entri log yang sah ({err})."),
            )
        })?;
        n += 1;
        if e.format != LOG_FORMAT {
            return Err(broken(
                file,
                lineno,
                format!("format '{}' tidak dikenal.", e.format),
            ));
        }
        if e.seq != n {
            return Err(broken(
                file,
                lineno,
                format!(
                    "nomor urut {} padahal seharusnya {n}: ada entri yang dihapus atau ditukar.",
                    e.seq
                ),
            ));
        }
        if e.prev != prev {
            return Err(broken(
                file,
                lineno,
                format!("entri {n} tidak menunjuk ke entri sebelumnya: ada entri yang dihapus, disisipkan atau ditukar."),
            ));
        }
        if entry_hash(&e) != e.hash {
            return Err(broken(
                file,
                lineno,
                format!("isi entri {n} telah diubah (hash tidak cocok)."),
            ));
        }
        prev = e.hash;
    }
    if let Some(h) = expect_head {
        if !h.trim().eq_ignore_ascii_case(&prev) {
            return Err(Error::invalid(
                file,
                None,
                None,
                format!(
                    "rantai utuh ({n} entri) tetapi ujungnya {}… bukan {}… yang diharapkan: entri terakhir hilang atau log diganti.",
                    &prev[..16],
                    &h.trim()[..16.min(h.trim().len())]
                ),
            ));
        }
    }
    Ok(LogReport {
        entries: n,
        head: prev,
    })
}

/// The next entry for `log` (which must verify) and the exact bytes to append to it.
#[allow(clippy::too_many_arguments)]
pub fn append(
    log: &[u8],
    file: &str,
    time: &str,
    event: &str,
    approval: ApprovalFact,
    inputs: Vec<FileFact>,
    outputs: Vec<FileFact>,
    counts: serde_json::Value,
) -> Result<(Entry, Vec<u8>)> {
    let report = verify(log, file, None)?;
    let mut e = Entry {
        format: LOG_FORMAT.into(),
        seq: report.entries + 1,
        prev: report.head,
        time: time.to_string(),
        event: event.to_string(),
        software: format!("padan {}", crate::VERSION),
        approval,
        inputs,
        outputs,
        counts,
        hash: String::new(),
    };
    e.hash = entry_hash(&e);
    let mut bytes = Vec::new();
    if !log.is_empty() && !log.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(&serde_json::to_vec(&e).expect("serializable"));
    bytes.push(b'\n');
    Ok((e, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact() -> ApprovalFact {
        ApprovalFact {
            workflow_id: "w".into(),
            workflow_digest: "ab".repeat(32),
            approval_digest: "cd".repeat(32),
            officers: vec!["AAAA-BBBB-CCCC-DDDD-EEEE".into()],
        }
    }

    fn log_of(n: usize) -> Vec<u8> {
        let mut log = Vec::new();
        for i in 0..n {
            let (_, bytes) = append(
                &log,
                "audit.log",
                &format!("2026-11-27T10:00:0{i}Z"),
                "compare",
                fact(),
                vec![FileFact::of("dtks.tokens", &[i as u8])],
                vec![],
                serde_json::json!({ "people": 100 + i }),
            )
            .unwrap();
            log.extend_from_slice(&bytes);
        }
        log
    }

    fn lines(log: &[u8]) -> Vec<String> {
        String::from_utf8(log.to_vec())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn join(l: &[String]) -> Vec<u8> {
        let mut s = l.join("\n");
        s.push('\n');
        s.into_bytes()
    }

    #[test]
    fn a_valid_chain_verifies() {
        assert_eq!(verify(b"", "a", None).unwrap().entries, 0);
        let log = log_of(4);
        let r = verify(&log, "audit.log", None).unwrap();
        assert_eq!(r.entries, 4);
        assert!(verify(&log, "audit.log", Some(&r.head)).is_ok());
    }

    #[test]
    fn modified_entry_is_caught_at_its_line() {
        let log = log_of(4);
        let mut l = lines(&log);
        l[2] = l[2].replace("\"people\":102", "\"people\":103");
        let e = verify(&join(&l), "audit.log", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("baris 3") && e.contains("diubah"), "{e}");
    }

    #[test]
    fn removed_entry_is_caught() {
        let mut l = lines(&log_of(4));
        l.remove(1);
        let e = verify(&join(&l), "audit.log", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("baris 2") && e.contains("dihapus"), "{e}");
    }

    #[test]
    fn reordered_entries_are_caught() {
        let mut l = lines(&log_of(4));
        l.swap(1, 2);
        let e = verify(&join(&l), "audit.log", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("baris 2"), "{e}");
    }

    #[test]
    fn a_renumbered_forgery_still_fails_the_hash() {
        // remove entry 2 and renumber entry 3 as 2: the prev link and hash no longer match
        let mut l = lines(&log_of(3));
        l.remove(1);
        l[1] = l[1].replace("\"seq\":3", "\"seq\":2");
        assert!(verify(&join(&l), "audit.log", None).is_err());
    }

    #[test]
    fn truncated_tail_is_caught_by_the_expected_head() {
        let log = log_of(3);
        let head = verify(&log, "a", None).unwrap().head;
        let l = lines(&log);
        let cut = join(&l[..2]);
        assert!(verify(&cut, "a", None).is_ok());
        let e = verify(&cut, "a", Some(&head)).unwrap_err().to_string();
        assert!(e.contains("entri terakhir hilang"), "{e}");
    }

    #[test]
    fn appending_to_a_broken_log_is_refused() {
        let mut l = lines(&log_of(2));
        l[0] = l[0].replace("compare", "comparE");
        assert!(append(
            &join(&l),
            "a",
            "t",
            "compare",
            fact(),
            vec![],
            vec![],
            serde_json::Value::Null
        )
        .is_err());
    }
}
