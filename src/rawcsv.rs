//! The CSV parser under [`crate::table::TableReader`]: `csv_core` over an own buffer, with a
//! fast path for lines without a quote character.
//!
//! Such a line (nearly every line of a real list) is one record: its fields are exactly the
//! pieces between delimiters, which is what `csv_core` would give too, so it is split
//! directly (`scan_line`: one pass of 16-byte SIMD compares finds the line's end, a quote
//! and the delimiters) instead of byte by byte through the parser's state machine. A line
//! with a quote, or one longer than the buffer, goes through `csv_core` as a whole record
//! (which may span lines). Both paths keep the parser's conventions: records end at `\n`
//! only, `\r` is data, and blank lines (`\n` alone) before a record are skipped, one byte
//! and one line each.

use std::io::{self, Read};
use std::ops::Range;

use csv_core::ReadRecordResult;

/// One record's fields: their bytes and each field's range in them.
#[derive(Clone, Debug, Default)]
pub struct RawRecord {
    bytes: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl RawRecord {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The fields in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + Clone + '_ {
        self.ranges.iter().map(|r| &self.bytes[r.clone()])
    }

    /// Field `i`'s byte range in [`RawRecord::bytes`].
    pub fn range(&self, i: usize) -> Option<Range<usize>> {
        self.ranges.get(i).cloned()
    }

    /// Every field's bytes, and between them possibly delimiters (ASCII, so the whole is
    /// valid UTF-8 exactly when every field is, and field ranges fall on character
    /// boundaries).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The last byte of the last field.
    pub fn last_byte(&self) -> Option<u8> {
        let r = self.ranges.last()?;
        (r.end > r.start).then(|| self.bytes[r.end - 1])
    }

    /// Drops the last byte of the last field (a `\r` before the line break).
    pub fn trim_last_byte(&mut self) {
        if let Some(r) = self.ranges.last_mut() {
            if r.end > r.start {
                r.end -= 1;
            }
        }
    }

    /// The record of the line at the start of `avail`, when the line holds no quote
    /// character: one pass ([`scan_line`]) finds its end and its delimiters. Nothing of
    /// use is left in `self` for any other outcome.
    fn set_line(&mut self, avail: &[u8], delimiter: u8) -> Line {
        self.ranges.clear();
        let line = match scan_line(avail, delimiter, &mut self.ranges) {
            Line::Plain(n) => n,
            other => return other,
        };
        self.bytes.clear();
        self.bytes.extend_from_slice(&avail[..line]);
        Line::Plain(line)
    }
}

/// What [`scan_line`] found at the start of a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    /// A line of this many bytes (its `\n` not counted) without a quote character.
    Plain(usize),
    /// A quote character before the first `\n`.
    Quoted,
    /// Neither a `\n` nor a quote character.
    Open,
}

/// Bytes of `w` equal to `b`: `0x80` in those bytes of the result, 0 in the others (no
/// false positives: the classic carry-free test).
fn bytes_equal(w: u64, b: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = w ^ (u64::from(b) * 0x0101_0101_0101_0101);
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Finds the first `\n` or quote character of `avail`, and pushes to `ranges` the fields
/// (ranges between delimiters) of the line before it when it is a `\n`. Sixteen bytes at
/// a time where the target has SIMD (x86-64, wasm32 with simd128), then eight, then one.
fn scan_line(avail: &[u8], delimiter: u8, ranges: &mut Vec<Range<usize>>) -> Line {
    scan_line_in::<true>(avail, delimiter, ranges)
}

/// [`scan_line`], with 16-byte blocks only when `SIMD` (the tests run both ways).
fn scan_line_in<const SIMD: bool>(
    avail: &[u8],
    delimiter: u8,
    ranges: &mut Vec<Range<usize>>,
) -> Line {
    let mut start = 0;
    let mut base = 0;
    #[cfg(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ))]
    if SIMD {
        let mut blocks = avail.chunks_exact(16);
        for block in &mut blocks {
            let (stop, delims) = simd::masks(block.try_into().expect("16 bytes"), delimiter);
            if let Some(line) = take_block(avail, base, 1, stop, delims, &mut start, ranges) {
                return line;
            }
            base += 16;
        }
    }
    let mut words = avail[base..].chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let stop = bytes_equal(w, b'\n') | bytes_equal(w, b'"');
        let delims = bytes_equal(w, delimiter);
        if let Some(line) = take_block(avail, base, 8, stop, delims, &mut start, ranges) {
            return line;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        let at = base + i;
        if b == b'\n' || b == b'"' {
            return end_at(avail, at, start, ranges);
        }
        if b == delimiter {
            ranges.push(start..at);
            start = at + 1;
        }
    }
    Line::Open
}

/// One block of [`scan_line`] at `base`: `stop` and `delims` mark its `\n`s and quotes,
/// and its delimiters, with `bits` bits per byte (the lowest of them set for a byte that
/// is one). Pushes the fields that end at its delimiters before the first stop; the
/// line's end when there is a stop.
#[inline(always)]
fn take_block(
    avail: &[u8],
    base: usize,
    bits: u32,
    stop: u64,
    mut delims: u64,
    start: &mut usize,
    ranges: &mut Vec<Range<usize>>,
) -> Option<Line> {
    if stop != 0 {
        // Only the delimiters before the first stop.
        delims &= (stop & stop.wrapping_neg()) - 1;
    }
    while delims != 0 {
        let d = base + (delims.trailing_zeros() / bits) as usize;
        ranges.push(*start..d);
        *start = d + 1;
        delims &= delims - 1;
    }
    (stop != 0).then(|| {
        let at = base + (stop.trailing_zeros() / bits) as usize;
        end_at(avail, at, *start, ranges)
    })
}

/// Sixteen bytes compared at once: (`\n`s and quotes, delimiters), one bit per byte.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };

    #[inline(always)]
    pub(super) fn masks(block: &[u8; 16], delimiter: u8) -> (u64, u64) {
        // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of `block`, unaligned.
        unsafe {
            let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
            let stop = _mm_movemask_epi8(_mm_or_si128(eq(b'\n'), eq(b'"')));
            let delims = _mm_movemask_epi8(eq(delimiter));
            (stop as u32 as u64, delims as u32 as u64)
        }
    }
}

/// The same with wasm's SIMD.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd {
    use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load, v128_or};

    #[inline(always)]
    pub(super) fn masks(block: &[u8; 16], delimiter: u8) -> (u64, u64) {
        // SAFETY: reads the 16 bytes of `block`; wasm loads need no alignment.
        let v = unsafe { v128_load(block.as_ptr().cast::<v128>()) };
        let eq = |x: u8| u8x16_eq(v, u8x16_splat(x));
        let stop = u8x16_bitmask(v128_or(eq(b'\n'), eq(b'"')));
        let delims = u8x16_bitmask(eq(delimiter));
        (u64::from(stop), u64::from(delims))
    }
}

fn end_at(avail: &[u8], at: usize, start: usize, ranges: &mut Vec<Range<usize>>) -> Line {
    if avail[at] == b'"' {
        return Line::Quoted;
    }
    ranges.push(start..at);
    Line::Plain(at)
}

impl std::ops::Index<usize> for RawRecord {
    type Output = [u8];
    fn index(&self, i: usize) -> &[u8] {
        &self.bytes[self.ranges[i].clone()]
    }
}

/// Reads [`RawRecord`]s from `src`.
pub struct Records<R> {
    src: R,
    core: csv_core::Reader,
    delimiter: u8,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// `src` reported its end.
    eof: bool,
    /// Bytes consumed, and the 1-based line reached.
    byte: u64,
    line: u64,
    /// Where the last record's reading began (before blank lines skipped).
    start: (u64, u64),
    /// The last record was one line without a quote character (so without line breaks
    /// in its fields).
    plain: bool,
    /// The parser's field ends (quoted records).
    ends: Vec<usize>,
}

impl<R: Read> Records<R> {
    pub fn new(src: R, delimiter: u8, capacity: usize) -> Records<R> {
        Records {
            src,
            core: csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            delimiter,
            buf: vec![0; capacity.max(64)],
            pos: 0,
            end: 0,
            eof: false,
            byte: 0,
            line: 1,
            start: (0, 1),
            plain: false,
            ends: vec![0; 64],
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.src
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.src
    }

    /// Bytes consumed so far.
    pub fn byte(&self) -> u64 {
        self.byte
    }

    /// The 1-based line the reader has reached.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// (byte, line) where the reading of the last record began, blank lines before it
    /// included.
    pub fn record_start(&self) -> (u64, u64) {
        self.start
    }

    /// The last record read was one line without a quote character: its fields hold no
    /// line break.
    pub fn last_was_plain(&self) -> bool {
        self.plain
    }

    /// Moves the unread bytes to the front and reads more after them; 0 at the end.
    fn fill(&mut self) -> io::Result<usize> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    if n == 0 {
                        self.eof = true;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next record into `rec`; `false` at the end.
    pub fn read(&mut self, rec: &mut RawRecord) -> io::Result<bool> {
        self.start = (self.byte, self.line);
        loop {
            let avail = &self.buf[self.pos..self.end];
            match rec.set_line(avail, self.delimiter) {
                Line::Plain(0) => {
                    // A blank line before a record, skipped as the parser skips it.
                    self.pos += 1;
                    self.byte += 1;
                    self.line += 1;
                }
                Line::Plain(i) => {
                    self.pos += i + 1;
                    self.byte += i as u64 + 1;
                    self.line += 1;
                    self.plain = true;
                    return Ok(true);
                }
                Line::Quoted => break,
                Line::Open if self.eof || avail.len() == self.buf.len() => break,
                Line::Open => {
                    self.fill()?;
                }
            }
        }
        self.read_quoted(rec)
    }

    /// One record through `csv_core`, from the start of a record.
    fn read_quoted(&mut self, rec: &mut RawRecord) -> io::Result<bool> {
        self.plain = false;
        rec.bytes.clear();
        rec.bytes.resize(rec.bytes.capacity().max(256), 0);
        let (mut outlen, mut endlen) = (0, 0);
        loop {
            if self.pos == self.end && !self.eof {
                self.fill()?;
            }
            let before = self.core.line();
            let (res, nin, nout, nend) = self.core.read_record(
                &self.buf[self.pos..self.end],
                &mut rec.bytes[outlen..],
                &mut self.ends[endlen..],
            );
            self.pos += nin;
            self.byte += nin as u64;
            self.line += self.core.line() - before;
            outlen += nout;
            endlen += nend;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let n = rec.bytes.len() * 2;
                    rec.bytes.resize(n, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                ReadRecordResult::Record => {
                    rec.bytes.truncate(outlen);
                    rec.ranges.clear();
                    let mut start = 0;
                    for &e in &self.ends[..endlen] {
                        rec.ranges.push(start..e);
                        start = e;
                    }
                    return Ok(true);
                }
                ReadRecordResult::End => {
                    rec.bytes.clear();
                    rec.ranges.clear();
                    return Ok(false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (fields, start byte, start line, byte after, line after) of every record.
    type Read = Vec<(Vec<Vec<u8>>, u64, u64, u64, u64)>;

    /// The records as the `csv` crate reads them with the settings the table reader used
    /// before.
    fn by_csv(data: &[u8], delimiter: u8) -> Read {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(data);
        let mut out = Vec::new();
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let p = rec.position().unwrap();
            out.push((
                rec.iter().map(<[u8]>::to_vec).collect(),
                p.byte(),
                p.line(),
                r.position().byte(),
                r.position().line(),
            ));
        }
        out
    }

    fn by_records(data: &[u8], delimiter: u8, capacity: usize) -> Read {
        let mut r = Records::new(data, delimiter, capacity);
        let mut out = Vec::new();
        let mut rec = RawRecord::default();
        while r.read(&mut rec).unwrap() {
            let (b, l) = r.record_start();
            out.push((
                rec.iter().map(<[u8]>::to_vec).collect(),
                b,
                l,
                r.byte(),
                r.line(),
            ));
        }
        out
    }

    #[test]
    fn splits_like_the_csv_crate() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"\n\na,b\n\n\nc\n",
            b"a,,\n,\n\r\n,x\r\n",
            b"a,\"b,c\",d\n\"x\ny\",z\n\n\"\"\"q\"\"\",r\n",
            b"a,\"unclosed\nmore\n",
            b"\"",
            b"",
            b"\n",
            b"a\"b,c\nd,e\n",
            b"no newline at end",
        ];
        for &d in cases {
            for cap in [64, 70, 1 << 16] {
                assert_eq!(by_records(d, b',', cap), by_csv(d, b','), "{d:?} cap {cap}");
            }
        }
    }

    #[test]
    fn a_line_longer_than_the_buffer() {
        let mut d = b"x,".to_vec();
        d.extend(std::iter::repeat_n(b'a', 1000));
        d.extend_from_slice(b",y\nshort,line\n");
        assert_eq!(by_records(&d, b',', 64), by_csv(&d, b','));
    }

    proptest! {
        /// The 16-byte blocks and the 8-byte words find the same line and fields.
        #[test]
        fn blocks_and_words_scan_alike(
            d in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b','), Just(b'"'), Just(b'\n'), any::<u8>()],
                0..100,
            ),
        ) {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let x = scan_line_in::<true>(&d, b',', &mut a);
            let y = scan_line_in::<false>(&d, b',', &mut b);
            prop_assert_eq!(x, y);
            if let Line::Plain(_) = x {
                prop_assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn bytes_equal_marks_exactly_the_equal_bytes() {
        for b in 0..=255u8 {
            for fill in [
                0u8,
                0x7f,
                0x80,
                0xff,
                b.wrapping_add(1),
                b.wrapping_sub(1),
                b ^ 0x80,
            ] {
                for at in 0..8 {
                    let mut word = [fill; 8];
                    word[at] = b;
                    let w = u64::from_le_bytes(word);
                    let want = (0..8)
                        .filter(|&i| word[i] == b)
                        .fold(0u64, |m, i| m | 0x80 << (8 * i));
                    assert_eq!(
                        bytes_equal(w, b),
                        want,
                        "byte {b:#x} at {at} among {fill:#x}"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn any_input_splits_like_the_csv_crate(
            d in proptest::collection::vec(
                prop_oneof![
                    Just(b'a'), Just(b','), Just(b';'), Just(b'|'), Just(b'\t'), Just(b'"'),
                    Just(b'\n'), Just(b'\r'), any::<u8>()
                ],
                0..400,
            ),
            cap in 64usize..200,
            delim in prop_oneof![Just(b','), Just(b';'), Just(b'|'), Just(b'\t')],
        ) {
            prop_assert_eq!(by_records(&d, delim, cap), by_csv(&d, delim));
        }
    }
}
