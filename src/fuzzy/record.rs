//! The fuzzy part of a token-file record (`padan-tokens/2`, `docs/formats.md`): what an
//! office adds to each record when the workflow enables fuzzy matching, and how the
//! coordinator reads it back.
//!
//! ```text
//! fmask[1]   bit 0: filter present; bit 1 + b: block b present; bit 7: typo tokens present
//! filter[128]                    the hardened Bloom filter (zeros when absent)
//! block[8] x blocks              keyed block tokens (zeros when absent)
//! typo_group[8] typo_mark[2] x 31   only when the workflow looks for NIK typos
//! ```

use super::bloom::{Encoder, Filter, BITS};
use super::config::FuzzyConfig;
use super::typo::{TypoKey, TypoTokens, MARKS};
use crate::keys::{FuzzyKey, FuzzyPurpose, Secret};
use crate::record::NormalRow;

const FILTER_BYTES: usize = BITS / 8;
const TYPO_BYTES: usize = 8 + 2 * MARKS;
/// The bit of `fmask` that says typo tokens are present.
pub const TYPO_BIT: u8 = 0x80;

/// The shape of the fuzzy part: how many blocks, whether typo tokens follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub blocks: usize,
    pub typo: bool,
}

impl Layout {
    pub fn of(cfg: &FuzzyConfig) -> Layout {
        Layout {
            blocks: cfg.blocks.len(),
            typo: cfg.nik_typos,
        }
    }

    /// Bytes per record.
    pub fn size(&self) -> usize {
        1 + FILTER_BYTES + 8 * self.blocks + if self.typo { TYPO_BYTES } else { 0 }
    }

    /// Whether `fmask` only uses bits this layout defines.
    pub fn mask_ok(&self, fmask: u8) -> bool {
        let allowed =
            1 | (((1u16 << self.blocks) - 1) << 1) as u8 | if self.typo { TYPO_BIT } else { 0 };
        fmask & !allowed == 0
    }

    /// Reads one record's fuzzy part.
    pub fn parse(&self, bytes: &[u8]) -> Parsed {
        debug_assert_eq!(bytes.len(), self.size());
        let fmask = bytes[0];
        let filter = (fmask & 1 != 0)
            .then(|| Filter::from_bytes(bytes[1..1 + FILTER_BYTES].try_into().expect("128 bytes")));
        let at = 1 + FILTER_BYTES;
        let blocks = (0..self.blocks)
            .filter(|b| fmask & (2 << b) != 0)
            .map(|b| u64::from_le_bytes(bytes[at + 8 * b..at + 8 * b + 8].try_into().expect("8")))
            .collect();
        let at = at + 8 * self.blocks;
        let typo = (self.typo && fmask & TYPO_BIT != 0).then(|| {
            let mut t = TypoTokens {
                group: u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes")),
                marks: [0; MARKS],
            };
            for (i, m) in t.marks.iter_mut().enumerate() {
                *m = u16::from_le_bytes([bytes[at + 8 + 2 * i], bytes[at + 9 + 2 * i]]);
            }
            t
        });
        Parsed {
            filter,
            blocks,
            typo,
        }
    }

    /// Removes the typo tokens (the NIK turned out unusable: column damage).
    pub fn clear_typo(&self, bytes: &mut [u8]) {
        if self.typo {
            bytes[0] &= !TYPO_BIT;
            let at = 1 + FILTER_BYTES + 8 * self.blocks;
            bytes[at..at + TYPO_BYTES].fill(0);
        }
    }
}

/// One record's fuzzy part as the coordinator uses it.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub filter: Option<Filter>,
    /// The block tokens present (their block index is not needed: tokens of different
    /// blocks come from different keys and never collide in practice).
    pub blocks: Vec<u64>,
    pub typo: Option<TypoTokens>,
}

/// The office side: makes the fuzzy part of each record.
#[derive(Clone)]
pub struct OfficeEncoder {
    layout: Layout,
    encoder: Encoder,
    fields: Vec<String>,
    blocks: Vec<(Vec<String>, FuzzyKey)>,
    typo: Option<TypoKey>,
}

impl OfficeEncoder {
    pub fn new(cfg: &FuzzyConfig, secret: &Secret, workflow_digest: &[u8; 32]) -> OfficeEncoder {
        let spec = cfg.encoding_spec();
        OfficeEncoder {
            layout: Layout::of(cfg),
            encoder: Encoder::new(&spec, secret, workflow_digest),
            fields: spec.fields.iter().map(|f| f.name.clone()).collect(),
            blocks: cfg
                .blocks
                .iter()
                .map(|b| {
                    let name = FuzzyConfig::block_name(b);
                    (
                        b.clone(),
                        secret.fuzzy_key(workflow_digest, FuzzyPurpose::Block, &name),
                    )
                })
                .collect(),
            typo: cfg.nik_typos.then(|| TypoKey::new(secret, workflow_digest)),
        }
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// Appends the fuzzy part of `row` to `out`.
    pub fn append(&mut self, row: &NormalRow, out: &mut Vec<u8>) {
        let start = out.len();
        out.push(0);
        let mut fmask = 0u8;
        if row.name.is_some() {
            let values: Vec<Option<String>> = self
                .fields
                .iter()
                .map(|f| super::field_value(row, f))
                .collect();
            let v: Vec<Option<&str>> = values.iter().map(|v| v.as_deref()).collect();
            let f = self.encoder.encode(&v);
            out.extend_from_slice(&f.to_bytes());
            fmask |= 1;
        } else {
            out.extend_from_slice(&[0; FILTER_BYTES]);
        }
        for (b, (fields, key)) in self.blocks.iter().enumerate() {
            let values: Option<Vec<String>> =
                fields.iter().map(|f| super::field_value(row, f)).collect();
            match values {
                Some(v) => {
                    let parts: Vec<&[u8]> = v.iter().map(|s| s.as_bytes()).collect();
                    out.extend_from_slice(&key.mac(&parts)[..8]);
                    fmask |= 2 << b;
                }
                None => out.extend_from_slice(&[0; 8]),
            }
        }
        if let Some(key) = &self.typo {
            let t = match (&row.nik, &row.name, row.birth_date) {
                (Some(nik), Some(name), Some(d)) => key.tokens(
                    &nik.nik,
                    &name.key,
                    &d.iso(),
                    row.kecamatan.as_deref().unwrap_or(""),
                ),
                _ => None,
            };
            match t {
                Some(t) => {
                    out.extend_from_slice(&t.group.to_le_bytes());
                    for m in t.marks {
                        out.extend_from_slice(&m.to_le_bytes());
                    }
                    fmask |= TYPO_BIT;
                }
                None => out.extend_from_slice(&[0; TYPO_BYTES]),
            }
        }
        out[start] = fmask;
        debug_assert_eq!(out.len() - start, self.layout.size());
    }
}
