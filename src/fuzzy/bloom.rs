//! Hardened Bloom-filter encodings (cryptographic long-term keys, CLK).
//!
//! One record becomes one [`Filter`] of [`BITS`] bits. Every field the encoding names is
//! cut into tokens (padded character q-grams for names, positional characters for dates
//! and codes) and every token sets `k` bits (the field's weight) at positions drawn from
//! `HMAC-SHA256(field key, salt || token)`, the field key derived per workflow and field
//! with HKDF (`keys::FuzzyPurpose::Bloom`). Then an optional keyed diffusion layer makes
//! every output bit the XOR of `t` input bits.
//!
//! Why this shape, and what it does not stop: `docs/fuzzy.md`.

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::keys::{FuzzyKey, FuzzyPurpose, Secret};

/// Bits in a filter.
pub const BITS: usize = 1024;
/// 64-bit words in a filter.
pub const WORDS: usize = BITS / 64;

/// One encoded record: [`BITS`] bits in little-endian 64-bit words. Aligned to a cache
/// line so that a comparison touches exactly two lines.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(C, align(64))]
pub struct Filter(pub [u64; WORDS]);

impl Default for Filter {
    fn default() -> Self {
        Filter([0; WORDS])
    }
}

impl std::fmt::Debug for Filter {
    // Never prints the bits: an encoding is personal data.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filter({} bits set)", self.count_ones())
    }
}

impl Filter {
    pub fn set(&mut self, pos: usize) {
        self.0[pos / 64] |= 1u64 << (pos % 64);
    }
    pub fn get(&self, pos: usize) -> bool {
        self.0[pos / 64] >> (pos % 64) & 1 == 1
    }
    pub fn count_ones(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    /// The 128 bytes written to a token file (little-endian words).
    pub fn to_bytes(&self) -> [u8; BITS / 8] {
        let mut out = [0u8; BITS / 8];
        for (chunk, w) in out.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
    pub fn from_bytes(bytes: &[u8; BITS / 8]) -> Filter {
        let mut f = Filter::default();
        for (w, chunk) in f.0.iter_mut().zip(bytes.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        f
    }
}

/// How a field's value is cut into tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tokens {
    /// Character q-grams of the value padded with `q - 1` underscores at each end (names,
    /// streets, places): `"ANI"` with q = 2 gives `_A AN NI I_`.
    Grams(usize),
    /// Each character with its position (dates, postcodes, numbers): a typo changes one
    /// token, a transposition two.
    Positional,
    /// The whole value as one token (sex, state, small codes).
    Whole,
}

/// One field of an encoding.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    /// The field's name: the key is derived from it, so two fields never share positions.
    pub name: String,
    pub tokens: Tokens,
    /// Bits set per token: the field's weight in the similarity.
    pub k: u32,
    /// Index of another field whose value salts this field's tokens (e.g. the birth year
    /// for the name): the same name then sets other bits for people born in another year.
    pub salt: Option<usize>,
}

impl FieldSpec {
    pub fn new(name: &str, tokens: Tokens, k: u32) -> FieldSpec {
        FieldSpec {
            name: name.to_string(),
            tokens,
            k,
            salt: None,
        }
    }
}

/// A layer applied to the whole filter after the fields are hashed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hardening {
    /// Plain CLK (still keyed, with random hashing).
    None,
    /// Armknecht, Heng and Schnell (PETS 2023): output bit `j` is the XOR of `t` input
    /// bits at keyed random positions. Flattens the bit frequencies that pattern-mining
    /// attacks read and breaks the link between one bit and one q-gram.
    Diffusion { t: u32 },
}

/// What an office encodes: the fields in order, and the hardening.
#[derive(Clone, Debug)]
pub struct EncodingSpec {
    /// The encoding's name (keys of the diffusion layer are derived from it).
    pub name: String,
    pub fields: Vec<FieldSpec>,
    pub hardening: Hardening,
}

/// Remembered token positions per field (q-grams repeat endlessly); bounded.
const MEMO: usize = 1 << 16;

/// Encodes records of one office with the workflow's keys.
#[derive(Clone)]
pub struct Encoder {
    fields: Vec<(FieldSpec, FuzzyKey)>,
    /// Diffusion: `t` input positions for each output bit, or empty.
    diffusion: Vec<u16>,
    t: usize,
    memo: Vec<HashMap<Vec<u8>, Box<[u16]>>>,
    buf: Vec<u8>,
}

impl Encoder {
    pub fn new(spec: &EncodingSpec, secret: &Secret, workflow_digest: &[u8; 32]) -> Encoder {
        let fields: Vec<(FieldSpec, FuzzyKey)> = spec
            .fields
            .iter()
            .map(|f| {
                let key = secret.fuzzy_key(workflow_digest, FuzzyPurpose::Bloom, &f.name);
                (f.clone(), key)
            })
            .collect();
        let (diffusion, t) = match spec.hardening {
            Hardening::None => (Vec::new(), 0),
            Hardening::Diffusion { t } => {
                let seed = secret
                    .fuzzy_key(workflow_digest, FuzzyPurpose::Diffusion, &spec.name)
                    .mac(&[b"diffusion positions"]);
                (diffusion_positions(seed, t as usize), t as usize)
            }
        };
        let n = fields.len();
        Encoder {
            fields,
            diffusion,
            t,
            memo: vec![HashMap::new(); n],
            buf: Vec::new(),
        }
    }

    /// Encodes one record: `values[i]` is the normalized value of field `i` (absent or
    /// empty values set no bits).
    pub fn encode(&mut self, values: &[Option<&str>]) -> Filter {
        let mut f = Filter::default();
        for i in 0..self.fields.len() {
            let Some(v) = values.get(i).copied().flatten().filter(|v| !v.is_empty()) else {
                continue;
            };
            if self.fields[i].0.k == 0 {
                // A field that only salts others sets no bits.
                continue;
            }
            let salt = self.fields[i]
                .0
                .salt
                .and_then(|s| values.get(s).copied().flatten())
                .unwrap_or("");
            let tokens = self.fields[i].0.tokens;
            for_each_token(v, tokens, |tok| {
                self.buf.clear();
                self.buf.extend_from_slice(salt.as_bytes());
                self.buf.push(0);
                self.buf.extend_from_slice(tok.as_bytes());
                if let Some(p) = self.memo[i].get(&self.buf) {
                    for &p in p.iter() {
                        f.set(p as usize);
                    }
                    return;
                }
                let (spec, key) = &self.fields[i];
                let p = positions(key, salt.as_bytes(), tok.as_bytes(), spec.k);
                for &p in p.iter() {
                    f.set(p as usize);
                }
                if self.memo[i].len() < MEMO {
                    self.memo[i].insert(self.buf.clone(), p);
                }
            });
        }
        if self.t > 0 {
            f = diffuse(&f, &self.diffusion, self.t);
        }
        f
    }
}

/// Random hashing (not double hashing): the token's HMAC seeds a ChaCha8 stream that
/// draws the k positions, so positions of one token carry no arithmetic structure for
/// the double-hashing attacks (Kroll and Steinmetzer 2015; Niedermeyer et al. 2014).
fn positions(key: &FuzzyKey, salt: &[u8], token: &[u8], k: u32) -> Box<[u16]> {
    let seed = key.mac(&[salt, token]);
    let mut rng = ChaCha8Rng::from_seed(seed);
    (0..k)
        .map(|_| (rng.gen::<u32>() as usize % BITS) as u16)
        .collect()
}

fn for_each_token(v: &str, tokens: Tokens, mut f: impl FnMut(&str)) {
    let mut tok = String::new();
    match tokens {
        Tokens::Whole => f(v),
        Tokens::Positional => {
            for (i, c) in v.chars().enumerate() {
                tok.clear();
                tok.push_str(&i.to_string());
                tok.push(':');
                tok.push(c);
                f(&tok);
            }
        }
        Tokens::Grams(q) => {
            let q = q.max(1);
            let mut chars: Vec<char> = Vec::with_capacity(v.len() + 2 * q);
            chars.extend(std::iter::repeat_n('_', q - 1));
            chars.extend(v.chars());
            chars.extend(std::iter::repeat_n('_', q - 1));
            for w in chars.windows(q) {
                tok.clear();
                tok.extend(w.iter());
                f(&tok);
            }
        }
    }
}

/// `t` distinct input positions per output bit, from a keyed stream.
fn diffusion_positions(seed: [u8; 32], t: usize) -> Vec<u16> {
    let t = t.clamp(1, 64);
    let mut rng = ChaCha8Rng::from_seed(seed);
    let mut out = Vec::with_capacity(BITS * t);
    for _ in 0..BITS {
        let start = out.len();
        while out.len() < start + t {
            let p = rng.gen_range(0..BITS as u16);
            if !out[start..].contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn diffuse(f: &Filter, positions: &[u16], t: usize) -> Filter {
    let mut out = Filter::default();
    for (j, set) in positions.chunks_exact(t).enumerate() {
        let mut bit = false;
        for &p in set {
            bit ^= f.get(p as usize);
        }
        if bit {
            out.set(j);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzy::dice::dice;

    fn spec(hardening: Hardening) -> EncodingSpec {
        EncodingSpec {
            name: "t".into(),
            fields: vec![
                FieldSpec::new("name", Tokens::Grams(2), 20),
                FieldSpec::new("birth_date", Tokens::Positional, 10),
            ],
            hardening,
        }
    }

    fn enc(h: Hardening, seed: u8) -> Encoder {
        Encoder::new(&spec(h), &Secret::from_bytes([seed; 32]), &[7u8; 32])
    }

    #[test]
    fn grams_and_positions() {
        let mut seen = Vec::new();
        for_each_token("ANI", Tokens::Grams(2), |t| seen.push(t.to_string()));
        assert_eq!(seen, ["_A", "AN", "NI", "I_"]);
        seen.clear();
        for_each_token("19", Tokens::Positional, |t| seen.push(t.to_string()));
        assert_eq!(seen, ["0:1", "1:9"]);
    }

    #[test]
    fn similar_names_are_similar_and_keys_matter() {
        for h in [Hardening::None, Hardening::Diffusion { t: 3 }] {
            let mut e = enc(h, 1);
            let a = e.encode(&[Some("SITINURHAYATI"), Some("19800805")]);
            let a2 = e.encode(&[Some("SITINURHAYATI"), Some("19800805")]);
            let b = e.encode(&[Some("SITINURHAYATY"), Some("19800805")]);
            let c = e.encode(&[Some("BAMBANGSUSILO"), Some("19640212")]);
            assert_eq!(a, a2, "deterministic");
            let (ab, ac) = (dice(&a, &b), dice(&a, &c));
            assert!(ab > 0.8, "{h:?}: typo {ab}");
            assert!(ac < ab - 0.2, "{h:?}: other person {ac} vs {ab}");
            // Another key gives unrelated bits for the same record.
            let other = enc(h, 2).encode(&[Some("SITINURHAYATI"), Some("19800805")]);
            assert!(dice(&a, &other) < 0.75, "{h:?}: {}", dice(&a, &other));
        }
    }

    #[test]
    fn salting_separates_years() {
        let mut s = spec(Hardening::None);
        s.fields.push(FieldSpec::new("year", Tokens::Whole, 0));
        s.fields[0].salt = Some(2);
        let mut e = Encoder::new(&s, &Secret::from_bytes([1; 32]), &[0; 32]);
        let a = e.encode(&[Some("ANI"), None, Some("1980")]);
        let b = e.encode(&[Some("ANI"), None, Some("1981")]);
        let a2 = e.encode(&[Some("ANI"), None, Some("1980")]);
        assert_eq!(a, a2);
        assert!(dice(&a, &b) < 0.5, "{}", dice(&a, &b));
    }

    #[test]
    fn bytes_round_trip_and_debug_hides_bits() {
        let f = enc(Hardening::None, 1).encode(&[Some("ANI"), None]);
        assert_eq!(Filter::from_bytes(&f.to_bytes()), f);
        assert!(f.count_ones() > 0);
        assert_eq!(
            format!("{f:?}"),
            format!("Filter({} bits set)", f.count_ones())
        );
    }

    #[test]
    fn diffusion_balances_density() {
        let mut plain = enc(Hardening::None, 1);
        let mut diff = enc(Hardening::Diffusion { t: 5 }, 1);
        let v = [Some("ANI"), Some("19800805")];
        let (p, d) = (plain.encode(&v), diff.encode(&v));
        assert!(p.count_ones() < 300, "{}", p.count_ones());
        // Every output bit is the XOR of five input bits: the density moves towards 1/2.
        assert!(
            d.count_ones() > 350 && d.count_ones() < 674,
            "{}",
            d.count_ones()
        );
    }
}
