//! The operations a user runs, as functions over `io::Read` / `io::Write`. The CLI and the
//! WebAssembly binding are thin adapters over exactly these functions.
//!
//! Every function takes the file name as the user knows it, so errors can name it.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::Result;
use crate::keys::Secret;
use crate::workflow::Workflow;

/// How to read an input list. Everything is detected when left `None`/empty.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InputOptions {
    /// `,` `;` `|` or tab.
    pub delimiter: Option<char>,
    /// `utf-8` or `windows-1252`.
    pub encoding: Option<String>,
    /// Explicit column choices: normalized field name (`nik`, `name`, `birth_date`,
    /// `place_birth_date`, `sex`, `no_kk`, `kecamatan`, `desa`) -> header text.
    pub columns: BTreeMap<String, String>,
    /// Workbooks only: the sheet to read (name, or 1-based number); the first visible
    /// worksheet when `None`.
    pub sheet: Option<String>,
    /// Workbooks only: the 1-based sheet row of the header; found from the column synonyms
    /// when `None`.
    pub header_row: Option<u32>,
}

/// Progress of a streaming operation, reported every few thousand rows.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
}

/// Who runs an operation and when (the core has no clock).
#[derive(Clone, Debug)]
pub struct Context<'a> {
    pub workflow: &'a Workflow,
    /// The workflow's file name, for messages.
    pub workflow_file: &'a str,
    /// Today's date, to check the workflow's validity period.
    pub today: Date,
}

pub use crate::check::CheckReport;
pub use crate::compare::{CompareOutput, ResultFile, Summary};
pub use crate::reattach::ReattachSummary;
pub use crate::table::Inspection;
pub use crate::tokens::{PartOutput, TokenizeSummary, Tokenizer};

/// Detected delimiter, encoding, header, suggested mapping and a preview, from the first
/// bytes of a file (at most [`crate::table::SNIFF_BYTES`] are looked at).
pub fn inspect(head: &[u8], file_name: &str, opts: &InputOptions) -> Result<Inspection> {
    let head = &head[..head.len().min(crate::table::SNIFF_BYTES)];
    crate::table::inspect(head, file_name, opts)
}

/// The data-quality report of one list (office, local only).
pub fn check<R: Read>(
    ctx: &Context,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport> {
    crate::check::check(ctx, party, input, file_name, opts, progress)
}

/// Makes the token file of one list (office). See [`crate::tokens::tokenize`].
#[allow(clippy::too_many_arguments)]
pub fn tokenize<R: Read, W: Write>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<TokenizeSummary> {
    crate::tokens::tokenize(ctx, secret, party, input, file_name, opts, out, progress)
}

/// Compares token files (coordinator; takes no key). See [`crate::compare::compare`].
pub fn compare(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    crate::compare::compare(ctx, inputs, progress)
}

/// Writes the annotated list (office). See [`crate::reattach::reattach`].
#[allow(clippy::too_many_arguments)]
pub fn reattach<R: Read, W: Write>(
    ctx: &Context,
    secret: &Secret,
    party: &str,
    input: R,
    file_name: &str,
    opts: &InputOptions,
    result: &[u8],
    result_name: &str,
    out: W,
    progress: &mut dyn FnMut(Progress),
) -> Result<ReattachSummary> {
    crate::reattach::reattach(
        ctx,
        secret,
        party,
        input,
        file_name,
        opts,
        result,
        result_name,
        out,
        progress,
    )
}

/// Finishes a comparison from the joined output of `spark/padan_join.py` (coordinator).
/// See [`crate::compare::compare_joined`].
#[allow(clippy::too_many_arguments)]
pub fn compare_joined(
    ctx: &Context,
    inputs: Vec<(String, Box<dyn Read + '_>)>,
    manifest: (&str, &[u8]),
    groups: Vec<(String, Box<dyn std::io::BufRead + '_>)>,
    store: &mut dyn crate::runs::RunStore,
    budget: usize,
    par: &dyn crate::par::Parallel,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompareOutput> {
    crate::compare::compare_joined(ctx, inputs, manifest, groups, store, budget, par, progress)
}

pub use crate::export::{export_csv, import_csv, ExportSummary};
#[cfg(not(target_arch = "wasm32"))]
pub use crate::export::{export_parquet, import_parquet};
