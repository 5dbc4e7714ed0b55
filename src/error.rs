//! Typed errors. Every error says which file, line and field went wrong, and never
//! carries personal data beyond what the user's own screen needs.

use std::fmt;

/// Where in an input an error was found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The file's name as the user knows it (no directories needed).
    pub file: String,
    /// 1-based physical line, when known.
    pub line: Option<u64>,
    /// The column / field name, when known.
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ", baris {l}")?;
        }
        if let Some(c) = &self.field {
            write!(f, ", kolom {c}")?;
        }
        Ok(())
    }
}

/// The error type of the whole core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input could not be read or the output not written.
    #[error("{loc}: tidak dapat dibaca/ditulis: {source}")]
    Io {
        loc: Location,
        #[source]
        source: std::io::Error,
    },
    /// The input is not what it should be; `what` says what is wrong and what to do.
    #[error("{loc}: {what}")]
    Invalid { loc: Location, what: String },
    /// A workflow file breaks a rule.
    #[error("alur kerja {loc}: {what}")]
    Workflow { loc: Location, what: String },
    /// Files that do not belong together (other workflow, other key, unknown party, ...).
    #[error("{loc}: {what}")]
    Mismatch { loc: Location, what: String },
    /// The parts of a list tokenized in parallel do not meet (a quoted line break straddles
    /// a cut): tokenize the list as one part instead.
    #[error("bagian-bagian berkas tidak bersambung; proses ulang sebagai satu bagian")]
    PartsMismatch,
    /// The workflow's approval is missing, broken, or not enough (see `approval.rs`).
    #[error("persetujuan {loc}: {what}")]
    Approval { loc: Location, what: String },
    /// The approval is signed by officer keys this machine does not trust yet. The user
    /// compares the fingerprints with the published ones and confirms (CLI
    /// `--trust-officer`, or the page's dialog).
    #[error("{file}: persetujuan ditandatangani oleh kunci pejabat PDP yang belum dipercaya di komputer ini: {}. Bandingkan sidik jari dengan yang diumumkan resmi oleh pejabat PDP; bila sama, konfirmasi (CLI: --trust-officer SIDIK-JARI).", officers.iter().map(|(n, f)| format!("{n} (sidik jari {f})")).collect::<Vec<_>>().join(", "))]
    UntrustedOfficer {
        file: String,
        /// (officer name, fingerprint) of each untrusted signer.
        officers: Vec<(String, String)>,
    },
    /// A privacy rule forbids the operation.
    #[error("{what}")]
    Refused { what: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(
        file: &str,
        line: Option<u64>,
        field: Option<&str>,
        what: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            loc: Location {
                file: file.to_string(),
                line,
                field: field.map(str::to_string),
            },
            what: what.into(),
        }
    }
    pub fn io(file: &str, source: std::io::Error) -> Error {
        Error::Io {
            loc: Location {
                file: file.to_string(),
                line: None,
                field: None,
            },
            source,
        }
    }
    pub fn mismatch(file: &str, what: impl Into<String>) -> Error {
        Error::Mismatch {
            loc: Location {
                file: file.to_string(),
                line: None,
                field: None,
            },
            what: what.into(),
        }
    }
    pub fn approval(file: &str, field: Option<&str>, what: impl Into<String>) -> Error {
        Error::Approval {
            loc: Location {
                file: file.to_string(),
                line: None,
                field: field.map(str::to_string),
            },
            what: what.into(),
        }
    }
    pub fn workflow(file: &str, field: Option<&str>, what: impl Into<String>) -> Error {
        Error::Workflow {
            loc: Location {
                file: file.to_string(),
                line: None,
                field: field.map(str::to_string),
            },
            what: what.into(),
        }
    }
}
