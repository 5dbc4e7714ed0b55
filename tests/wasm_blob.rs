//! The Blob-backed `std::io::Read` of the browser binding (`padan::wasm::BlobReader`),
//! run in a dedicated worker (FileReaderSync exists only in workers).
#![cfg(target_arch = "wasm32")]

use std::io::{BufRead, Read};

use padan::wasm::BlobReader;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob(parts_bytes: &[&[u8]]) -> web_sys::Blob {
    let parts = js_sys::Array::new();
    for p in parts_bytes {
        parts.push(&js_sys::Uint8Array::from(*p));
    }
    web_sys::Blob::new_with_u8_array_sequence(&parts).expect("Blob")
}

fn sample() -> Vec<u8> {
    // Multi-byte UTF-8 (2, 3 and 4 bytes), CRLF, a windows-1252 byte, and NULs.
    let mut v = "NIK;NAMA\r\n3209010101800001;SITI ÂMINAH – «ÉÉ» 😀\r\n"
        .as_bytes()
        .to_vec();
    v.extend_from_slice(&[0xE9, 0x00, b'\n']);
    for i in 0..5000u32 {
        v.extend_from_slice(format!("{i};NUR HAYATI ✓\n").as_bytes());
    }
    v
}

#[wasm_bindgen_test]
fn round_trips_bytes_exactly_for_every_chunk_size() {
    let all = sample();
    for chunk in [1, 2, 3, 5, 7, 64, 1000, 4096, 1 << 20] {
        // One FileReaderSync call per chunk: keep the tiny-chunk cases small.
        let data = if chunk < 64 { &all[..3000] } else { &all[..] };
        let mut r = BlobReader::with_chunk(blob(&[data]), chunk).expect("reader");
        assert_eq!(r.size() as usize, data.len());
        let mut got = Vec::new();
        r.read_to_end(&mut got).expect("read");
        assert_eq!(got, data, "chunk {chunk}");
        assert_eq!(r.position() as usize, data.len());
    }
}

#[wasm_bindgen_test]
fn chunk_boundary_inside_a_multibyte_char() {
    // "😀" is 4 bytes: put a chunk boundary after each of its first 3 bytes.
    let text = "ab😀cd€é\n";
    let data = text.as_bytes();
    let emoji_at = text.find('😀').unwrap();
    for cut in 1..4 {
        let chunk = emoji_at + cut;
        let mut r = BlobReader::with_chunk(blob(&[data]), chunk).expect("reader");
        let mut s = String::new();
        r.read_to_string(&mut s)
            .expect("valid UTF-8 across the boundary");
        assert_eq!(s, text);
        // And line-wise, as a BufRead.
        let r = BlobReader::with_chunk(blob(&[data, data]), chunk).expect("reader");
        let lines: Vec<String> = r.lines().map(|l| l.expect("line")).collect();
        assert_eq!(lines, vec![text.trim_end(), text.trim_end()]);
    }
}

#[wasm_bindgen_test]
fn small_reads_and_empty_blob() {
    let data = sample();
    let mut r = BlobReader::with_chunk(blob(&[&data[..100], &data[100..]]), 33).expect("reader");
    let mut got = Vec::new();
    let mut buf = [0u8; 5];
    loop {
        let n = r.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, data);
    let mut empty = BlobReader::new(blob(&[])).expect("reader");
    let mut v = Vec::new();
    assert_eq!(empty.read_to_end(&mut v).expect("read"), 0);
}

/// Chunks passed on (`BlobReader::passing_chunks_to`) are the bytes read, each once, at
/// its offset plus the base, in order, whatever the chunk size; a function that throws
/// fails the read.
#[wasm_bindgen_test]
fn passes_on_each_chunk_read_with_its_offset() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    let data = sample();
    for chunk in [64, 1000, 4096, 1 << 20] {
        type Seen = Vec<(f64, Vec<u8>)>;
        let seen: Rc<RefCell<Seen>> = Rc::default();
        let into = seen.clone();
        let f = Closure::<dyn FnMut(js_sys::ArrayBuffer, f64)>::new(
            move |b: js_sys::ArrayBuffer, at| {
                into.borrow_mut()
                    .push((at, js_sys::Uint8Array::new(&b).to_vec()));
            },
        );
        let r = BlobReader::with_chunk(blob(&[&data]), chunk)
            .expect("reader")
            .passing_chunks_to(
                f.as_ref().unchecked_ref::<js_sys::Function>().clone(),
                1000.0,
            );
        let mut got = Vec::new();
        let mut r = r;
        r.read_to_end(&mut got).expect("read");
        assert_eq!(got, data);
        let seen = seen.borrow();
        assert_eq!(seen.len(), data.len().div_ceil(chunk), "chunk {chunk}");
        let mut at = 1000.0;
        let mut joined = Vec::new();
        for (offset, bytes) in seen.iter() {
            assert_eq!(*offset, at, "chunk {chunk}");
            assert!(bytes.len() <= chunk);
            at += bytes.len() as f64;
            joined.extend_from_slice(bytes);
        }
        assert_eq!(joined, data, "chunk {chunk}");
    }
    let throws = js_sys::Function::from(
        Closure::<dyn FnMut()>::new(|| wasm_bindgen::throw_str("no room")).into_js_value(),
    );
    let mut r = BlobReader::with_chunk(blob(&[&data]), 100)
        .expect("reader")
        .passing_chunks_to(throws, 0.0);
    let err = r
        .read_to_end(&mut Vec::new())
        .expect_err("the function threw");
    assert!(err.to_string().contains("no room"), "{err}");
}

/// `token_file_digests` (the worker's fallback without WebCrypto): the SHA-256 of all but
/// the last 32 bytes, then of the whole blob, also when the body ends inside a later
/// 4 MiB read or the blob is shorter than 32 bytes.
#[wasm_bindgen_test]
fn token_file_digests_split_body_and_checksum() {
    use sha2::{Digest, Sha256};
    let chunk = padan::wasm::CHUNK;
    for len in [0, 20, 32, 33, 5000, chunk - 10, chunk + 20, chunk + 40] {
        let data: Vec<u8> = (0..len as u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let got = padan::wasm::token_file_digests(&blob(&[&data]))
            .expect("digests")
            .to_vec();
        let body = &data[..len.saturating_sub(32)];
        assert_eq!(
            &got[..32],
            Sha256::digest(body).as_slice(),
            "body of {len} bytes"
        );
        assert_eq!(
            &got[32..],
            Sha256::digest(&data).as_slice(),
            "whole {len} bytes"
        );
    }
}

/// `JsSink` gives back exactly the bytes written, whether they fit the capacity it was
/// given (one copy, in place), overflow it (the pieces' way from there on), or it was
/// given none, for writes of many sizes around its 4 MiB pieces.
#[wasm_bindgen_test]
fn js_sink_gives_back_what_was_written() {
    use padan::wasm::{JsSink, CHUNK};
    use std::io::Write;
    let big: Vec<u8> = (0..3 * CHUNK + 12345)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let cases = [
        (3000, 1),
        (3000, 7),
        (3000, 3000),
        (big.len(), CHUNK - 1),
        (big.len(), CHUNK),
        (big.len(), CHUNK + 3),
        (big.len(), 1 << 20),
        (big.len(), big.len()),
    ];
    for (len, size) in cases {
        let data = &big[..len];
        for capacity in [
            None,
            Some(0),
            Some(10),
            Some(len / 2),
            Some(len),
            Some(len + 99),
        ] {
            let mut sink = capacity.map_or_else(JsSink::new, JsSink::with_capacity);
            for piece in data.chunks(size) {
                sink.write_all(piece).expect("write");
            }
            let got = sink.finish().to_vec();
            assert!(
                got == data,
                "{len} bytes, capacity {capacity:?}, writes of {size}"
            );
        }
    }
    assert_eq!(JsSink::with_capacity(64).finish().length(), 0);
}
