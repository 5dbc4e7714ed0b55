//! The SIMD SHA-256 lanes (`src/sha4.rs`, `simd128`) in the browser: the same digests as
//! `sha2` (software in wasm) for every message length from 0 to 300 bytes, the FIPS 180-4
//! examples, random queues, HMAC-prefixed states, and the batched references and tokens
//! of `keys::RowHashes` equal to `RefKey::reference` / `TokenKey::token`.
//! `cargo xtask test` runs it in headless Chromium (a dedicated worker).
#![cfg(target_arch = "wasm32")]

use padan::keys::{RowHashes, Secret, TOKEN_LEN};
use padan::sha4::{digest, push_padded, run, run_scalar, run_simd, Backend, Job, IV};
use sha2::{Digest, Sha256};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// The digests of `messages` (each after `prefix`, whose state is `state`) on one backend.
fn digests(messages: &[Vec<u8>], state: [u32; 8], prefix_len: u64, run: Backend) -> Vec<[u8; 32]> {
    let mut arena = Vec::new();
    let mut jobs: Vec<Job> = messages
        .iter()
        .map(|m| push_padded(&mut arena, state, prefix_len, m))
        .collect();
    run(&mut jobs, &arena);
    jobs.iter().map(|j| digest(&j.state)).collect()
}

/// A small deterministic generator (xorshift), so the test needs no randomness source.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[wasm_bindgen_test]
fn simd_lanes_known_answers() {
    let msgs = vec![
        b"".to_vec(),
        b"abc".to_vec(),
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".to_vec(),
    ];
    let want = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ];
    for (d, w) in digests(&msgs, IV, 0, run_simd).iter().zip(want) {
        assert_eq!(hex::encode(d), w);
    }
}

#[wasm_bindgen_test]
fn simd_lanes_every_length_and_random_queues() {
    // Every length 0..=300 (all padding edges), in one queue: lanes refill at every offset.
    let mut g = Gen(0x9e3779b97f4a7c15);
    let msgs: Vec<Vec<u8>> = (0..=300).map(|n| g.bytes(n)).collect();
    let simd = digests(&msgs, IV, 0, run_simd);
    for (m, d) in msgs.iter().zip(&simd) {
        assert_eq!(
            *d,
            <[u8; 32]>::from(Sha256::digest(m)),
            "length {}",
            m.len()
        );
    }
    assert_eq!(simd, digests(&msgs, IV, 0, run_scalar));
    // Random queues of 0..24 random messages of 0..200 bytes.
    for _ in 0..200 {
        let n = (g.next() % 24) as usize;
        let msgs: Vec<Vec<u8>> = (0..n)
            .map(|_| {
                let len = (g.next() % 200) as usize;
                g.bytes(len)
            })
            .collect();
        let simd = digests(&msgs, IV, 0, run_simd);
        for (m, d) in msgs.iter().zip(&simd) {
            assert_eq!(*d, <[u8; 32]>::from(Sha256::digest(m)));
        }
    }
    // `run` is the SIMD backend in this build.
    assert_eq!(digests(&msgs, IV, 0, run), digests(&msgs, IV, 0, run_simd));
}

#[wasm_bindgen_test]
fn simd_lanes_after_a_prefix_block() {
    // As HMAC: the state after one 64-byte block, which the padded length counts.
    let prefix = [0x36u8; 64];
    let mut state = IV;
    sha2::compress256(
        &mut state,
        &[*sha2::digest::generic_array::GenericArray::from_slice(
            &prefix,
        )],
    );
    let mut g = Gen(7);
    let msgs: Vec<Vec<u8>> = (0..=200).map(|n| g.bytes(n)).collect();
    for (m, d) in msgs.iter().zip(digests(&msgs, state, 64, run_simd)) {
        let mut h = Sha256::new();
        h.update(prefix);
        h.update(m);
        assert_eq!(d, <[u8; 32]>::from(h.finalize()), "length {}", m.len());
    }
}

#[wasm_bindgen_test]
fn row_hashes_equal_one_by_one_in_wasm() {
    let s = Secret::from_bytes([5u8; 32]);
    let d = [2u8; 32];
    let r = s.ref_key(&d, "dtks");
    let keys = [s.token_key(&d, "nik"), s.token_key(&d, "name_dob_kec")];
    let mut g = Gen(42);
    let rows: Vec<(u64, Vec<Vec<u8>>)> = (0..600usize)
        .map(|n| {
            let fields = (0..1 + n % 12)
                .map(|i| g.bytes((n * 3 + i * 5) % 90))
                .collect();
            (g.next(), fields)
        })
        .collect();
    let mut want = Vec::new();
    for (offset, fields) in &rows {
        want.extend_from_slice(&r.reference(*offset, fields.iter().map(Vec::as_slice)));
        for (i, k) in keys.iter().enumerate() {
            want.extend_from_slice(&k.token(&fields[..fields.len().min(i + 2)]));
        }
    }
    let backends: [Backend; 2] = [run_simd, run];
    for run in backends {
        let mut h = RowHashes::new(&r, &keys);
        let mut out = vec![0u8; want.len()];
        for (n, (offset, fields)) in rows.iter().enumerate() {
            let at = n * 3 * TOKEN_LEN;
            for i in 0..keys.len() {
                h.token(
                    at + (1 + i) * TOKEN_LEN,
                    i,
                    &fields[..fields.len().min(i + 2)],
                );
            }
            h.reference(at, *offset, fields.iter().map(Vec::as_slice));
            if h.queued_rows() == 97 {
                h.flush_with(&mut out, run);
            }
        }
        h.flush_with(&mut out, run);
        assert_eq!(hex::encode(&out), hex::encode(&want));
    }
}
