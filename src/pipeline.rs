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

