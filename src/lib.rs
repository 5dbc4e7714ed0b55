//! padan: privacy-preserving record matching for Indonesian beneficiary lists.
//!
//! This crate is a **pure core**: it reads from `io::Read`, writes to `io::Write`, spawns
//! no threads and makes no OS calls, so the same code runs natively (the `padan` command
//! line) and in WebAssembly (the browser app). See `ARCHITECTURE.md`.

// `padan::` paths inside the crate too, for `annotated_xlsx.rs`, which `src/main.rs` also includes.
extern crate self as padan;

/// The annotated list as .xlsx, in the browser's workbook module only (see the file's docs;
/// the CLI includes the same file).
#[cfg(all(target_arch = "wasm32", feature = "wasm-workbook"))]
#[doc(hidden)]
pub mod annotated_xlsx;
pub mod approval;
pub mod audit;
pub mod check;
pub mod columns;
pub mod compare;
pub mod date;
pub mod demo;
pub mod error;
pub mod export;
#[doc(hidden)]
pub mod fuzz;
pub mod fuzzy;
pub mod keys;
pub mod name;
pub mod nik;
pub mod par;
pub mod pipeline;
pub mod quality;
pub mod rawcsv;
pub mod reattach;
pub mod record;
pub mod result;
pub mod runs;
pub mod sex;
pub mod sha4;
pub mod table;
pub mod tokens;
pub mod wilayah;
pub mod workbook;
pub mod workflow;

/// The browser binding (the only code touching wasm-bindgen); public for its own tests.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod wasm;

pub use error::{Error, Result};

/// The software version written into every file header and receipt.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
