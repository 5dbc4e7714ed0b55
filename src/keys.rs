//! The shared secret, its key check value, and everything derived from it.
//!
//! - The **secret** is 32 random bytes made by the key custodian (the caller supplies the
//!   randomness: the OS in the CLI, `crypto.getRandomValues` in the browser).
//! - The **KCV** (key check value) is the first 6 bytes, hex, of
//!   `HMAC-SHA256(secret, "padan key check value v1")`: safe to read out by phone, and it
//!   is not a plain hash of the key.
//! - Per workflow and match key, a **token key** is derived with HKDF-SHA256
//!   (salt = workflow digest, info = `"padan/1 token" || 0x00 || key name`); a token is
//!   `HMAC-SHA256(token key, encode(fields))` truncated to 128 bits.
//! - Per workflow and party, a **reference key** (info = `"padan/1 ref" || 0x00 || party`)
//!   makes each row's opaque record reference (see [`RefKey`]).
//!
//! The field encoding is unambiguous: a 4-byte big-endian field count, then for each field
//! its 4-byte big-endian length and its UTF-8 bytes, so `["ab","c"]` and `["a","bc"]`
//! never encode alike.

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Result};

type HmacSha256 = Hmac<Sha256>;

/// Bytes kept of every token and record reference.
pub const TOKEN_LEN: usize = 16;

/// A token or record reference.
pub type Token = [u8; TOKEN_LEN];

const KCV_LABEL: &[u8] = b"padan key check value v1";
const KEY_FILE_TAG: &str = "padan-key/1";

/// The shared secret. Zeroed on drop; never printed (its `Debug` shows only the KCV).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(kcv={})", self.kcv())
    }
}

impl Secret {
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// The key check value: 12 upper-case hex digits.
    pub fn kcv(&self) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(KCV_LABEL);
        hex::encode_upper(&mac.finalize().into_bytes()[..6])
    }

    /// The key file's text. It names itself so that a coordinator tool can recognize and
    /// refuse it.
    pub fn to_key_file(&self) -> String {
        format!(
            "{KEY_FILE_TAG}\n\
             # Kunci rahasia bersama padan. JANGAN dikirim ke koordinator.\n\
             # Shared padan secret. NEVER give it to the coordinator.\n\
             kcv: {}\n\
             key: {}\n",
            self.kcv(),
            hex::encode(self.0)
        )
    }

    /// Reads a key file and checks its KCV line.
    pub fn parse_key_file(bytes: &[u8], file_name: &str) -> Result<Secret> {
        let bad = |line: Option<u64>, what: &str| Error::invalid(file_name, line, None, what);
        let text = std::str::from_utf8(bytes)
            .map_err(|_| bad(None, "bukan berkas kunci padan (bukan teks)."))?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, l.trim()));
        match lines.next() {
            Some((_, l)) if l.trim_start_matches('\u{feff}') == KEY_FILE_TAG => {}
            _ => {
                return Err(bad(
                    Some(1),
                    "bukan berkas kunci padan: baris pertama harus 'padan-key/1'.",
                ))
            }
        }
        let (mut key, mut kcv) = (None, None);
        for (n, line) in lines {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(v) = line.strip_prefix("key:") {
                let mut raw = [0u8; 32];
                hex::decode_to_slice(v.trim(), &mut raw)
                    .map_err(|_| bad(Some(n), "nilai 'key' harus 64 digit heksadesimal."))?;
                key = Some(Secret(raw));
                raw.zeroize();
            } else if let Some(v) = line.strip_prefix("kcv:") {
                kcv = Some(v.trim().to_ascii_uppercase());
            } else {
                return Err(bad(Some(n), "baris tidak dikenal dalam berkas kunci."));
            }
        }
        let key = key.ok_or_else(|| bad(None, "berkas kunci tidak memuat baris 'key:'."))?;
        if let Some(kcv) = kcv {
            if kcv != key.kcv() {
                return Err(bad(
                    None,
                    "KCV dalam berkas tidak cocok dengan kuncinya: berkas rusak atau diubah. Minta salinan baru dari pemegang kunci.",
                ));
            }
        }
        Ok(key)
    }

    /// True when `bytes` look like a key file (used by the coordinator to refuse one).
    pub fn looks_like_key_file(bytes: &[u8]) -> bool {
        let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        b.starts_with(KEY_FILE_TAG.as_bytes())
    }

    fn derive(&self, salt: &[u8], label: &str, name: &str) -> [u8; 32] {
        let hk = Hkdf::<Sha256>::new(Some(salt), &self.0);
        let mut info = Vec::with_capacity(label.len() + 1 + name.len());
        info.extend_from_slice(label.as_bytes());
        info.push(0);
        info.extend_from_slice(name.as_bytes());
        let mut okm = [0u8; 32];
        hk.expand(&info, &mut okm)
            .expect("32 bytes is a valid HKDF length");
        okm
    }

    /// The token key of one match key of one workflow.
    pub fn token_key(&self, workflow_digest: &[u8; 32], match_key: &str) -> TokenKey {
        let mut k = self.derive(workflow_digest, "padan/1 token", match_key);
        let mac = <HmacSha256 as Mac>::new_from_slice(&k).expect("any key length");
        let pads = Pads::of(&k);
        k.zeroize();
        TokenKey(mac, pads)
    }

    /// The record-reference key of one party in one workflow.
    pub fn ref_key(&self, workflow_digest: &[u8; 32], party: &str) -> RefKey {
        let mut k = self.derive(workflow_digest, "padan/1 ref", party);
        let mac = <HmacSha256 as Mac>::new_from_slice(&k).expect("any key length");
        let pads = Pads::of(&k);
        k.zeroize();
        RefKey(mac, pads)
    }
}

/// Feeds `u32be(n) || (u32be(len) || bytes) per field` to `update`: gathered on the stack
/// into one call when it fits (small updates cost more than the hashing), else piece by piece.
fn encoded<'a, I: Iterator<Item = &'a [u8]>>(n: usize, fields: I, mut update: impl FnMut(&[u8])) {
    let mut buf = [0u8; 512];
    buf[..4].copy_from_slice(&(n as u32).to_be_bytes());
    let mut at = 4;
    for f in fields {
        if at + 4 + f.len() > buf.len() {
            update(&buf[..at]);
            at = 0;
            if 4 + f.len() > buf.len() {
                update(&(f.len() as u32).to_be_bytes());
                update(f);
                continue;
            }
        }
        buf[at..at + 4].copy_from_slice(&(f.len() as u32).to_be_bytes());
        buf[at + 4..at + 4 + f.len()].copy_from_slice(f);
        at += 4 + f.len();
    }
    update(&buf[..at]);
}

/// Appends the encoding of [`encoded`] (`u32be(n) || (u32be(len) || bytes) per field`)
/// and its SHA-256 padding to `arena` (whole blocks) in one step: the job of hashing it
/// from `state`, which already absorbed `prefix_len` bytes (as `sha4::push_padded`).
fn push_encoded<'a, I>(
    arena: &mut Vec<u8>,
    state: [u32; 8],
    prefix_len: u64,
    n: usize,
    fields: I,
) -> crate::sha4::Job
where
    I: Iterator<Item = &'a [u8]> + Clone,
{
    let len = 4 + fields.clone().map(|f| 4 + f.len()).sum::<usize>();
    // The message, 0x80, zeros, and the bit length in the last 8 bytes.
    let padded = (len + 9).div_ceil(64) * 64;
    let first = arena.len();
    debug_assert!(first.is_multiple_of(64), "the arena holds whole blocks");
    arena.resize(first + padded, 0);
    let out = &mut arena[first..];
    out[..4].copy_from_slice(&(n as u32).to_be_bytes());
    let mut at = 4;
    for f in fields {
        out[at..at + 4].copy_from_slice(&(f.len() as u32).to_be_bytes());
        out[at + 4..at + 4 + f.len()].copy_from_slice(f);
        at += 4 + f.len();
    }
    out[at] = 0x80;
    out[padded - 8..].copy_from_slice(&((prefix_len + len as u64) * 8).to_be_bytes());
    crate::sha4::Job {
        state,
        first: (first / 64) as u32,
        blocks: (padded / 64) as u32,
    }
}

/// The SHA-256 states of an HMAC key after its inner (`key ^ 0x36..`) and outer
/// (`key ^ 0x5c..`) pad blocks, for the batched HMACs of [`RowHashes`]. Key material:
/// zeroed on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct Pads {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl Pads {
    /// `key` is at most one block long (every derived key is 32 bytes).
    fn of(key: &[u8; 32]) -> Pads {
        use sha2::digest::generic_array::GenericArray;
        let pad = |x: u8| {
            let mut block = [x; 64];
            for (b, k) in block.iter_mut().zip(key) {
                *b ^= k;
            }
            let mut state = crate::sha4::IV;
            sha2::compress256(&mut state, &[*GenericArray::from_slice(&block)]);
            block.zeroize();
            state
        };
        Pads {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }
}

/// A keyed HMAC state for one match key (the inner/outer pads are computed once).
#[derive(Clone)]
pub struct TokenKey(HmacSha256, Pads);

impl TokenKey {
    /// The token of a list of normalized field values.
    pub fn token<S: AsRef<[u8]>>(&self, fields: &[S]) -> Token {
        let mut mac = self.0.clone();
        encoded(fields.len(), fields.iter().map(AsRef::as_ref), |b| {
            mac.update(b)
        });
        let out = mac.finalize().into_bytes();
        let mut t = [0u8; TOKEN_LEN];
        t.copy_from_slice(&out[..TOKEN_LEN]);
        t
    }
}

/// The keyed state that makes record references.
///
/// A row's reference is `HMAC(ref key, byte offset of the record in the file (8 bytes BE) ||
/// SHA-256 of the row's raw fields, length-prefixed)`, truncated to 128 bits. To the coordinator it is random: it
/// reveals neither the position nor the content. The office recomputes it from its original
/// file and the key alone, so no mapping table must be kept; a row that was edited after
/// tokenizing no longer matches its reference and is reported as changed.
#[derive(Clone)]
pub struct RefKey(HmacSha256, Pads);

impl RefKey {
    pub fn reference<'a, I>(&self, offset: u64, raw_fields: I) -> Token
    where
        I: ExactSizeIterator<Item = &'a [u8]>,
    {
        use sha2::Digest;
        let mut h = Sha256::new();
        encoded(raw_fields.len(), raw_fields, |b| h.update(b));
        let mut mac = self.0.clone();
        mac.update(&offset.to_be_bytes());
        mac.update(&h.finalize());
        let out = mac.finalize().into_bytes();
        let mut t = [0u8; TOKEN_LEN];
        t.copy_from_slice(&out[..TOKEN_LEN]);
        t
    }
}

/// Record references and tokens of many rows, computed together: the row loop queues each
/// row's reference ([`RowHashes::reference`]) and tokens ([`RowHashes::token`]) with the
/// place in its output buffer where they belong (zeros until then), and [`RowHashes::flush`]
/// computes them all and writes them there. The results are exactly those of
/// [`RefKey::reference`] and [`TokenKey::token`]; batching only lets the browser hash eight
/// messages at a time (`sha4`).
///
/// Every computation is a short chain of SHA-256 jobs, run in three rounds:
/// 1. each row's digest of its raw fields, and each token's inner HMAC hash;
/// 2. each reference's inner hash (over offset || digest), and each token's outer hash;
/// 3. each reference's outer hash.
pub struct RowHashes {
    /// The pads of the reference key, then those of the token keys.
    pads: Vec<Pads>,
    /// Queued references: (output position, byte offset of the record).
    refs: Vec<(usize, u64)>,
    /// Queued tokens: (output position, token key number).
    tokens: Vec<(usize, u8)>,
    /// Round 1's messages and jobs: the references' and the tokens' (`flush` runs them
    /// as one queue, references first).
    arena: Vec<u8>,
    jobs: Vec<crate::sha4::Job>,
    token_jobs: Vec<crate::sha4::Job>,
    /// Rounds 2 and 3's jobs.
    next: Vec<crate::sha4::Job>,
}

impl RowHashes {
    pub fn new(ref_key: &RefKey, token_keys: &[TokenKey]) -> RowHashes {
        assert!(token_keys.len() < 256, "at most 255 match keys");
        let mut pads = vec![ref_key.1.clone()];
        pads.extend(token_keys.iter().map(|k| k.1.clone()));
        RowHashes {
            pads,
            refs: Vec::new(),
            tokens: Vec::new(),
            arena: Vec::new(),
            jobs: Vec::new(),
            token_jobs: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Queued references (a measure of the batch's size).
    pub fn queued_rows(&self) -> usize {
        self.refs.len()
    }

    /// Queues [`RefKey::reference`]`(offset, raw_fields)`, to be written at `out[at..at + 16]`.
    pub fn reference<'a, I>(&mut self, at: usize, offset: u64, raw_fields: I)
    where
        I: ExactSizeIterator<Item = &'a [u8]> + Clone,
    {
        let n = raw_fields.len();
        let job = push_encoded(&mut self.arena, crate::sha4::IV, 0, n, raw_fields);
        self.jobs.push(job);
        self.refs.push((at, offset));
    }

    /// Queues the token of `fields` under token key number `key` (its place in the
    /// `token_keys` given to [`RowHashes::new`]), to be written at `out[at..at + 16]`.
    pub fn token<S: AsRef<[u8]>>(&mut self, at: usize, key: usize, fields: &[S]) {
        let inner = self.pads[1 + key].inner;
        let job = push_encoded(
            &mut self.arena,
            inner,
            64,
            fields.len(),
            fields.iter().map(AsRef::as_ref),
        );
        self.token_jobs.push(job);
        self.tokens.push((at, key as u8));
    }

    /// Computes everything queued and writes it into `out`; the queue is empty afterwards.
    pub fn flush(&mut self, out: &mut [u8]) {
        self.flush_with(out, crate::sha4::run);
    }

    /// [`RowHashes::flush`] on the given `sha4` backend (tests run each one).
    #[doc(hidden)]
    pub fn flush_with(&mut self, out: &mut [u8], run: crate::sha4::Backend) {
        use crate::sha4::{digest, push_padded};
        if self.jobs.is_empty() && self.token_jobs.is_empty() {
            return;
        }
        let r = self.refs.len();
        self.jobs.append(&mut self.token_jobs);
        // Round 1: digests of the raw fields; inner hashes of the tokens.
        run(&mut self.jobs, &self.arena);
        // Round 2: inner hashes of the references; outer hashes of the tokens.
        let mut arena = std::mem::take(&mut self.arena);
        arena.clear();
        let mut next = std::mem::take(&mut self.next);
        next.clear();
        let ref_pads = &self.pads[0];
        for (&(_, offset), job) in self.refs.iter().zip(&self.jobs) {
            let mut m = [0u8; 40];
            m[..8].copy_from_slice(&offset.to_be_bytes());
            m[8..].copy_from_slice(&digest(&job.state));
            next.push(push_padded(&mut arena, ref_pads.inner, 64, &m));
        }
        for (&(_, key), job) in self.tokens.iter().zip(&self.jobs[r..]) {
            let outer = self.pads[1 + key as usize].outer;
            next.push(push_padded(&mut arena, outer, 64, &digest(&job.state)));
        }
        run(&mut next, &arena);
        for (&(at, _), job) in self.tokens.iter().zip(&next[r..]) {
            out[at..at + TOKEN_LEN].copy_from_slice(&digest(&job.state)[..TOKEN_LEN]);
        }
        // Round 3: outer hashes of the references.
        arena.clear();
        next.truncate(r);
        for job in next.iter_mut() {
            *job = push_padded(&mut arena, ref_pads.outer, 64, &digest(&job.state));
        }
        run(&mut next, &arena);
        for (&(at, _), job) in self.refs.iter().zip(&next) {
            out[at..at + TOKEN_LEN].copy_from_slice(&digest(&job.state)[..TOKEN_LEN]);
        }
        // The jobs hold pad states (key material), like `pads`: their buffers are kept
        // for the next batch and zeroed on drop.
        self.jobs.clear();
        self.next = next;
        arena.clear();
        self.arena = arena;
        self.refs.clear();
        self.tokens.clear();
    }
}

impl Drop for RowHashes {
    fn drop(&mut self) {
        self.jobs.zeroize();
        self.token_jobs.zeroize();
        self.next.zeroize();
    }
}

/// What a fuzzy-matching key is for (see `src/fuzzy/`). Each purpose has its own HKDF
/// label, so no fuzzy key can equal a token or reference key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuzzyPurpose {
    /// Bloom-filter positions of one field's q-grams (name = the field).
    Bloom,
    /// The keyed diffusion layer over a whole filter (name = the encoding's name).
    Diffusion,
    /// NIK near-duplicate (typo) tokens (name = the encoding's name).
    Typo,
    /// Keyed block tokens (name = the block's name, e.g. `birth_date`).
    Block,
}

impl FuzzyPurpose {
    fn label(self) -> &'static str {
        match self {
            FuzzyPurpose::Bloom => "padan/1 bloom",
            FuzzyPurpose::Diffusion => "padan/1 diffusion",
            FuzzyPurpose::Typo => "padan/1 typo",
            FuzzyPurpose::Block => "padan/1 block",
        }
    }
}

impl Secret {
    /// A fuzzy-matching key of one workflow: `HKDF-SHA256(ikm = secret, salt = workflow
    /// digest, info = label || 0x00 || name)`, the label given by `purpose`.
    pub fn fuzzy_key(
        &self,
        workflow_digest: &[u8; 32],
        purpose: FuzzyPurpose,
        name: &str,
    ) -> FuzzyKey {
        let mut k = self.derive(workflow_digest, purpose.label(), name);
        let mac = <HmacSha256 as Mac>::new_from_slice(&k).expect("any key length");
        k.zeroize();
        FuzzyKey(mac)
    }
}

/// A keyed HMAC state for fuzzy encodings.
#[derive(Clone)]
pub struct FuzzyKey(HmacSha256);

impl FuzzyKey {
    /// `HMAC-SHA256(key, u32be(count) || per part u32be(len) || bytes)`: the same
    /// unambiguous framing as tokens.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(&(parts.len() as u32).to_be_bytes());
        for p in parts {
            mac.update(&(p.len() as u32).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hmac_hex(key: &[u8], data: &[u8]) -> String {
        let mut m = <HmacSha256 as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        hex::encode(m.finalize().into_bytes())
    }

    /// RFC 4231 test cases 1-4, 6, 7 (case 5 is a truncation test, covered by case 1's prefix).
    #[test]
    fn rfc4231_hmac_sha256() {
        let cases: &[(Vec<u8>, Vec<u8>, &str)] = &[
            (vec![0x0b; 20], b"Hi There".to_vec(), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (b"Jefe".to_vec(), b"what do ya want for nothing?".to_vec(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (vec![0xaa; 20], vec![0xdd; 50], "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (
                (1..=25u8).collect(),
                vec![0xcd; 50],
                "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
            ),
            (
                vec![0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
            (
                vec![0xaa; 131],
                b"This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".to_vec(),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
            ),
        ];
        for (key, data, want) in cases {
            assert_eq!(&hmac_hex(key, data), want);
        }
        // Test case 5: truncated output.
        assert_eq!(
            &hmac_hex(&[0x0c; 20], b"Test With Truncation")[..32],
            "a3b6167473100ee06e0c796c2955552b"
        );
    }

    /// RFC 5869 test cases 1-3 (SHA-256).
    #[test]
    fn rfc5869_hkdf_sha256() {
        let cases: &[(&str, &str, &str, usize, &str)] = &[
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
                "000102030405060708090a0b0c",
                "f0f1f2f3f4f5f6f7f8f9",
                42,
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
            ),
            (
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
                "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
                "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
                82,
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
            ),
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
                "",
                "",
                42,
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
            ),
        ];
        for (ikm, salt, info, len, want) in cases {
            let (ikm, salt, info) = (
                hex::decode(ikm).unwrap(),
                hex::decode(salt).unwrap(),
                hex::decode(info).unwrap(),
            );
            let hk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
            let mut okm = vec![0u8; *len];
            hk.expand(&info, &mut okm).unwrap();
            assert_eq!(&hex::encode(okm), want);
        }
    }

    #[test]
    fn key_file_round_trip_and_kcv() {
        let s = Secret::from_bytes([7u8; 32]);
        let text = s.to_key_file();
        assert!(Secret::looks_like_key_file(text.as_bytes()));
        let back = Secret::parse_key_file(text.as_bytes(), "k.key").unwrap();
        assert_eq!(back.kcv(), s.kcv());
        assert_eq!(s.kcv().len(), 12);
        // The KCV is not a plain hash of the key.
        use sha2::Digest;
        let plain = hex::encode_upper(Sha256::digest([7u8; 32]));
        assert!(!plain.starts_with(&s.kcv()));
        assert!(!format!("{s:?}").contains(&hex::encode([7u8; 32])));
    }

    #[test]
    fn key_file_errors_are_clear() {
        let s = Secret::from_bytes([7u8; 32]);
        let tampered = s.to_key_file().replace("key: 07", "key: 08");
        let e = Secret::parse_key_file(tampered.as_bytes(), "k.key")
            .unwrap_err()
            .to_string();
        assert!(e.contains("k.key") && e.contains("KCV"), "{e}");
        let e = Secret::parse_key_file(b"hello", "x.key")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.key") && e.contains("padan-key/1"), "{e}");
        let e = Secret::parse_key_file(b"padan-key/1\nkey: 12\n", "x.key")
            .unwrap_err()
            .to_string();
        assert!(e.contains("baris 2"), "{e}");
    }

    #[test]
    fn encoding_is_injective() {
        let s = Secret::from_bytes([1u8; 32]);
        let k = s.token_key(&[0u8; 32], "name_dob");
        assert_ne!(k.token(&["ab", "c"]), k.token(&["a", "bc"]));
        assert_ne!(k.token(&["ab"]), k.token(&["ab", ""]));
        assert_ne!(k.token::<&str>(&[]), k.token(&[""]));
        // Separate keys per match key and per workflow.
        let k2 = s.token_key(&[0u8; 32], "nik");
        let k3 = s.token_key(&[1u8; 32], "name_dob");
        assert_ne!(k.token(&["x"]), k2.token(&["x"]));
        assert_ne!(k.token(&["x"]), k3.token(&["x"]));
    }

    #[test]
    fn fuzzy_keys_are_separate() {
        let s = Secret::from_bytes([1u8; 32]);
        let d = [0u8; 32];
        let a = s.fuzzy_key(&d, FuzzyPurpose::Bloom, "name").mac(&[b"x"]);
        let b = s
            .fuzzy_key(&d, FuzzyPurpose::Bloom, "birth_date")
            .mac(&[b"x"]);
        let c = s.fuzzy_key(&d, FuzzyPurpose::Typo, "name").mac(&[b"x"]);
        let e = s
            .fuzzy_key(&[1u8; 32], FuzzyPurpose::Bloom, "name")
            .mac(&[b"x"]);
        assert!(a != b && a != c && a != e && b != c);
        let k = s.fuzzy_key(&d, FuzzyPurpose::Bloom, "name");
        assert_ne!(k.mac(&[b"ab", b"c"]), k.mac(&[b"a", b"bc"]));
        // Not the token of the same name and value.
        let t = s.token_key(&d, "name").token(&["x"]);
        assert_ne!(&a[..TOKEN_LEN], &t[..]);
    }

    /// `RowHashes` on each backend gives exactly `RefKey::reference` and `TokenKey::token`.
    fn check_row_hashes(rows: &[(u64, Vec<Vec<u8>>)]) {
        use crate::sha4::{run_portable, run_scalar, Backend};
        let s = Secret::from_bytes([5u8; 32]);
        let d = [2u8; 32];
        let r = s.ref_key(&d, "dtks");
        let keys = [s.token_key(&d, "nik"), s.token_key(&d, "name_dob")];
        // Per row: reference, then one token per key over a prefix of the fields.
        let mut want = Vec::new();
        for (offset, fields) in rows {
            want.extend_from_slice(&r.reference(*offset, fields.iter().map(Vec::as_slice)));
            for (i, k) in keys.iter().enumerate() {
                want.extend_from_slice(&k.token(&fields[..fields.len().min(i + 1)]));
            }
        }
        let backends: [Backend; 3] = [run_portable, run_scalar, crate::sha4::run];
        for run in backends {
            let mut h = RowHashes::new(&r, &keys);
            let mut out = vec![0u8; want.len()];
            for (n, (offset, fields)) in rows.iter().enumerate() {
                let at = n * 3 * TOKEN_LEN;
                // Tokens queued before the reference, as the row loop does.
                for i in 0..keys.len() {
                    h.token(
                        at + (1 + i) * TOKEN_LEN,
                        i,
                        &fields[..fields.len().min(i + 1)],
                    );
                }
                h.reference(at, *offset, fields.iter().map(Vec::as_slice));
                // Flush at an uneven batch size, and at the end.
                if h.queued_rows() == 7 {
                    h.flush_with(&mut out, run);
                }
            }
            h.flush_with(&mut out, run);
            assert_eq!(hex::encode(&out), hex::encode(&want));
        }
    }

    #[test]
    fn row_hashes_equal_one_by_one() {
        // Fields of every length up to 300 bytes: every padding edge of the digest and of
        // the inner HMAC, one-block and multi-block messages.
        let rows: Vec<(u64, Vec<Vec<u8>>)> = (0..300usize)
            .map(|n| {
                let f: Vec<u8> = (0..n).map(|i| (i * 7 + n) as u8).collect();
                (n as u64 * 1_000_003, vec![f, b"x".to_vec(), Vec::new()])
            })
            .chain([(u64::MAX, vec![Vec::new()]), (0, vec![vec![0xff; 1000]])])
            .collect();
        check_row_hashes(&rows);
        check_row_hashes(&[]);
    }

    proptest::proptest! {
        #[test]
        fn row_hashes_prop(rows in proptest::collection::vec(
            (proptest::num::u64::ANY, proptest::collection::vec(
                proptest::collection::vec(proptest::num::u8::ANY, 0..80), 1..6)), 0..40)) {
            check_row_hashes(&rows);
        }

        #[test]
        fn encoding_injective_prop(a in proptest::collection::vec(".{0,6}", 0..4), b in proptest::collection::vec(".{0,6}", 0..4)) {
            let k = Secret::from_bytes([3u8; 32]).token_key(&[9u8; 32], "k");
            if a != b {
                proptest::prop_assert_ne!(k.token(&a), k.token(&b));
            } else {
                proptest::prop_assert_eq!(k.token(&a), k.token(&b));
            }
        }
    }
}
