//! The whole flow on a `padan demo` scenario, in process: tokenize every list, compare,
//! measure precision and recall against the truth file, re-attach.

use std::collections::HashMap;
use std::io::{Read, Write};

use padan::date::Date;
use padan::keys::Secret;
use padan::pipeline::{self, Context, InputOptions};
use padan::workflow::{demo_workflow, Workflow};

struct Scenario {
    files: HashMap<String, Vec<u8>>,
    wf: Workflow,
    secret: Secret,
}

fn scenario(people: usize, seed: u64) -> Scenario {
    let files = std::sync::Arc::new(std::sync::Mutex::new(HashMap::new()));
    struct Sink(
        String,
        std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<u8>>>>,
        Vec<u8>,
    );
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.2.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Drop for Sink {
        fn drop(&mut self) {
            self.1
                .lock()
                .unwrap()
                .insert(self.0.clone(), std::mem::take(&mut self.2));
        }
    }
    let f2 = files.clone();
    padan::demo::generate(
        &padan::demo::DemoConfig { people, seed },
        &mut move |name: &str| {
            Ok(Box::new(Sink(name.to_string(), f2.clone(), Vec::new())) as Box<dyn Write>)
        },
    )
    .unwrap();
    let files = std::mem::take(&mut *files.lock().unwrap());
    let parties: Vec<(&str, &str)> = padan::demo::LISTS
        .iter()
        .map(|(id, n, _)| (*id, *n))
        .collect();
    Scenario {
        files,
        wf: demo_workflow(&parties, "2025-01-01", "2030-12-31"),
        secret: Secret::from_bytes([42; 32]),
    }
}

/// Real threads, as the CLI lends them to `Tokenizer::finish_with`.
struct Threads;

impl padan::par::Parallel for Threads {
    fn width(&self) -> usize {
        2
    }
    fn run<'a>(&self, tasks: Vec<Box<dyn FnOnce() + Send + 'a>>) {
        std::thread::scope(|s| {
            for t in tasks {
                s.spawn(t);
            }
        });
    }
    fn join<'a>(&self, other: Box<dyn FnOnce() + Send + 'a>, here: &mut dyn FnMut()) {
        std::thread::scope(|s| {
            s.spawn(other);
            here();
        });
    }
}

/// `finish_with` on threads gives the bytes `finish` gives (or fails the same way).
fn finish_both(
    t: &pipeline::Tokenizer,
    parts: Vec<padan::tokens::PartOutput>,
    sha: Option<String>,
    out: &mut Vec<u8>,
) -> padan::Result<pipeline::TokenizeSummary> {
    let mut threaded = Vec::new();
    let with = t.finish_with(parts.clone(), sha.clone(), &mut threaded, &Threads);
    let plain = t.finish(parts, sha, &mut *out);
    match (&plain, &with) {
        (Ok(a), Ok(b)) => {
            assert!(threaded == *out, "finish_with wrote other bytes");
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::to_value(b).unwrap()
            );
        }
        (Err(padan::Error::PartsMismatch), Err(padan::Error::PartsMismatch)) => {}
        _ => panic!("finish and finish_with disagree"),
    }
    plain
}

fn today() -> Date {
    Date {
        year: 2026,
        month: 11,
        day: 27,
    }
}

#[test]
fn demo_flow_reaches_quality_targets_and_accounts_for_every_row() {
    let s = scenario(6000, 11);
    let ctx = Context {
        workflow: &s.wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let mut tokens = Vec::new();
    let mut refs = HashMap::new();
    for (party, _, file) in padan::demo::LISTS {
        let data = &s.files[*file];
        let mut out = Vec::new();
        let sum = pipeline::tokenize(
            &ctx,
            &s.secret,
            party,
            &data[..],
            file,
            &opts,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(
            sum.rows_in,
            sum.rows_tokenized + sum.rows_rejected,
            "{file}"
        );
        assert_eq!(sum.rejected.len() as u64, sum.rows_rejected);
        assert!(sum.rows_in > 0);
        let tf = padan::tokens::read_token_file(&out, "x").unwrap();
        assert_eq!(tf.records.len() as u64, sum.rows_tokenized);
        // Records are in reference order, not input order.
        assert!(tf
            .records
            .windows(2)
            .all(|w| w[0].reference < w[1].reference));
        tokens.push((format!("{party}.tokens"), out));
        refs.insert(
            party.to_string(),
            padan::quality::list_references(&ctx, &s.secret, party, &data[..], file, &opts)
                .unwrap(),
        );
    }
    let inputs = tokens
        .iter()
        .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn Read>))
        .collect();
    let out = pipeline::compare(&ctx, inputs, &mut |_| {}).unwrap();
    let q = padan::quality::evaluate(&s.files["truth.csv"], &refs, &out.clusters).unwrap();
    eprintln!("{q:?}");
    assert!(q.recall >= 0.95, "recall {q:?}");
    assert!(q.precision >= 0.99, "precision {q:?}");

    // Result files: only the office's own references; no tokens.
    let all_tokens: std::collections::HashSet<[u8; 16]> = tokens
        .iter()
        .flat_map(|(_, b)| padan::tokens::read_token_file(b, "x").unwrap().records)
        .flat_map(|r| r.tokens.into_iter().flatten())
        .collect();
    for r in &out.results {
        let rf = padan::result::read_result(&r.bytes, &r.file_name).unwrap();
        let own: std::collections::HashSet<[u8; 16]> = refs[&r.party].iter().copied().collect();
        assert!(
            rf.rows.iter().all(|x| own.contains(&x.reference)),
            "{}",
            r.party
        );
        assert!(rf.rows.iter().all(|x| !all_tokens.contains(&x.reference)));
        let text = String::from_utf8(r.bytes.clone()).unwrap();
        for t in all_tokens.iter().take(2000) {
            assert!(!text.contains(&hex::encode(t)));
        }
    }

    // Re-attach: every row labelled, original values kept.
    let (party, _, file) = padan::demo::LISTS[1];
    let res = out.results.iter().find(|r| r.party == party).unwrap();
    let mut annotated = Vec::new();
    let sum = pipeline::reattach(
        &ctx,
        &s.secret,
        party,
        &s.files[file][..],
        file,
        &opts,
        &res.bytes,
        &res.file_name,
        &mut annotated,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(sum.changed, 0);
    assert_eq!(sum.result_rows_unused, 0);
    let tok_sum = pipeline::tokenize(
        &ctx,
        &s.secret,
        party,
        &s.files[file][..],
        file,
        &opts,
        std::io::sink(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(sum.rows, tok_sum.rows_in);
    assert_eq!(sum.rejected, tok_sum.rows_rejected);
    let text = String::from_utf8(annotated).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.lines().next().unwrap().contains("PADAN_STATUS"));
}

#[test]
fn summary_suppresses_small_counts() {
    let s = scenario(1500, 3);
    let mut wf = s.wf.clone();
    wf.k = 50;
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let mut tokens = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let mut out = Vec::new();
        pipeline::tokenize(
            &ctx,
            &s.secret,
            party,
            &s.files[*file][..],
            file,
            &opts,
            &mut out,
            &mut |_| {},
        )
        .unwrap();
        tokens.push((format!("{party}.tokens"), out));
    }
    let inputs = tokens
        .iter()
        .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn Read>))
        .collect();
    let out = pipeline::compare(&ctx, inputs, &mut |_| {}).unwrap();
    let json = serde_json::to_value(&out.summary).unwrap();
    let mut numbers = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<u64>) {
        match v {
            serde_json::Value::Number(n) => out.push(n.as_u64().unwrap_or(0)),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o
                .iter()
                .filter(|(k, _)| *k != "k")
                .for_each(|(_, x)| walk(x, out)),
            _ => {}
        }
    }
    walk(&json, &mut numbers);
    assert!(numbers.iter().all(|&n| n == 0 || n >= 50), "{numbers:?}");
    assert!(out.summary_text.contains("<50"));
}

/// Cutting a list into parts (threads, Web Workers) gives exactly the token file and the
/// receipt of one sequential pass, wherever the cuts fall; a cut inside a quoted line
/// break is detected.
#[test]
fn parts_give_the_same_token_file_as_one_pass() {
    let s = scenario(3000, 9);
    let ctx = Context {
        workflow: &s.wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let mut quoted_cut_seen = false;
    let mut merged = 0;
    for (party, _, file) in padan::demo::LISTS {
        let data = &s.files[*file];
        let mut seq = Vec::new();
        let seq_sum = pipeline::tokenize(
            &ctx,
            &s.secret,
            party,
            &data[..],
            file,
            &opts,
            &mut seq,
            &mut |_| {},
        )
        .unwrap();
        let t = pipeline::Tokenizer::new(&ctx, &s.secret, party, data, file, &opts).unwrap();
        let len = data.len() as u64;
        let d0 = t.data_start();
        for cuts in [
            vec![d0, d0 + (len - d0) / 2],
            vec![d0, d0 + 1, len / 3, len / 3 + 7, (len * 2) / 3, len - 2],
        ] {
            let parts: Vec<_> = cuts
                .iter()
                .enumerate()
                .map(|(i, &st)| {
                    t.run_part(
                        st,
                        &data[st as usize..],
                        cuts.get(i + 1).copied(),
                        &mut |_| {},
                    )
                })
                .collect();
            if parts.iter().any(|p| p.is_err()) {
                quoted_cut_seen = true;
                continue;
            }
            let mut par = Vec::new();
            match finish_both(
                &t,
                parts.into_iter().map(Result::unwrap).collect(),
                Some(seq_sum.input_sha256.clone()),
                &mut par,
            ) {
                Ok(sum) => {
                    assert_eq!(par, seq, "{file} cut at {cuts:?}");
                    merged += 1;
                    assert_eq!(
                        serde_json::to_value(&sum).unwrap(),
                        serde_json::to_value(&seq_sum).unwrap()
                    );
                }
                Err(padan::Error::PartsMismatch) => quoted_cut_seen = true,
                Err(e) => panic!("{e}"),
            }
        }
    }
    // A cut placed inside a quoted line break must be caught, not silently mis-read.
    let data = b"NIK,NAMA,TGL_LAHIR,ALAMAT\n3209014508800012,SITI,05-08-1980,\"JL. A\nRT 1\"\n3209015009800013,BUDI,10-09-1980,X\n".to_vec();
    let t = pipeline::Tokenizer::new(&ctx, &s.secret, "dtks", &data, "q.csv", &opts).unwrap();
    let cut = data.iter().position(|b| *b == b'\n').unwrap() as u64 + 40; // inside the quoted field
    let p0 = t
        .run_part(
            t.data_start(),
            &data[t.data_start() as usize..],
            Some(cut),
            &mut |_| {},
        )
        .unwrap();
    let p1 = t.run_part(cut, &data[cut as usize..], None, &mut |_| {});
    if let Ok(p1) = p1 {
        assert!(matches!(
            t.finish(vec![p0, p1], None, Vec::new()),
            Err(padan::Error::PartsMismatch)
        ));
    }
    // Quoted line breaks are rare in the demo: nearly every cut must merge.
    assert!(
        merged >= 8,
        "only {merged} of 10 cut plans merged (quoted cuts: {quoted_cut_seen})"
    );
}

/// Tokenizes `data` in one pass and with the parts `cuts`; returns the one-pass receipt and
/// whether the parts merged (then into the same bytes and receipt).
fn one_pass_and_parts(
    s: &Scenario,
    party: &str,
    data: &[u8],
    cuts: &[u64],
) -> (pipeline::TokenizeSummary, bool) {
    let ctx = Context {
        workflow: &s.wf,
        workflow_file: "workflow.json",
        today: today(),
    };
    let opts = InputOptions::default();
    let mut seq = Vec::new();
    let seq_sum = pipeline::tokenize(
        &ctx,
        &s.secret,
        party,
        data,
        "b.csv",
        &opts,
        &mut seq,
        &mut |_| {},
    )
    .unwrap();
    let t = pipeline::Tokenizer::new(&ctx, &s.secret, party, data, "b.csv", &opts).unwrap();
    let parts: Result<Vec<_>, _> = cuts
        .iter()
        .enumerate()
        .map(|(i, &st)| {
            t.run_part(
                st,
                &data[st as usize..],
                cuts.get(i + 1).copied(),
                &mut |_| {},
            )
        })
        .collect();
    let Ok(parts) = parts else {
        return (seq_sum, false);
    };
    // Unsealed (the browser's way: the caller appends the checksum) gives the same file.
    let mut unsealed = Vec::new();
    let sealed_here = t
        .finish_unsealed(parts.clone(), None, &mut unsealed)
        .is_ok();
    if sealed_here {
        use sha2::Digest;
        let sum = sha2::Sha256::digest(&unsealed);
        unsealed.extend_from_slice(&sum);
        assert_eq!(unsealed, seq, "unsealed, cut at {cuts:?}");
    }
    let mut par = Vec::new();
    match finish_both(&t, parts, Some(seq_sum.input_sha256.clone()), &mut par) {
        Ok(sum) => {
            assert!(sealed_here);
            assert_eq!(par, seq, "cut at {cuts:?}");
            assert_eq!(
                serde_json::to_value(&sum).unwrap(),
                serde_json::to_value(&seq_sum).unwrap(),
                "cut at {cuts:?}"
            );
            (seq_sum, true)
        }
        Err(padan::Error::PartsMismatch) => (seq_sum, false),
        Err(e) => panic!("{e}"),
    }
}

/// Blank lines (at the start, between rows, at the end; LF and CRLF) are lines: rejected
/// rows name their true line, and parts cut anywhere, also inside a run of blank lines,
/// give the bytes and receipt of one pass.
#[test]
fn blank_lines_keep_true_line_numbers_and_parts_agree() {
    let s = scenario(300, 5);
    // Lines: 1 header, 2 blank, 3 row 1, 4-5 blank, 6 row 2 (rejected), 7-8 row 3 (quoted
    // line break), 9 blank (CRLF), 10 row 4 (rejected), 11 blank.
    let data = b"NIK,NAMA,TGL_LAHIR,ALAMAT\n\n3209014508800012,SITI,05-08-1980,X\n\n\n,,,X\n3209015009800013,BUDI,10-09-1980,\"JL\nRT 1\"\r\n\r\n,,,Y\n\n";
    let d0 = data.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
    let (sum, _) = one_pass_and_parts(&s, "dtks", data, &[d0]);
    let lines: Vec<(u64, u64)> = sum.rejected.iter().map(|r| (r.row, r.line)).collect();
    assert_eq!(lines, vec![(2, 6), (4, 10)]);
    assert_eq!((sum.rows_in, sum.rows_tokenized), (4, 2));
    // Every cut merges except one inside the quoted line break's line.
    let line7 = data.windows(7).position(|w| w == b"3209015").unwrap() as u64;
    let inner = data.windows(3).position(|w| w == b"JL\n").unwrap() as u64 + 2;
    for cut in d0 + 1..data.len() as u64 {
        let (_, merged) = one_pass_and_parts(&s, "dtks", data, &[d0, cut]);
        assert!(
            merged || (line7 <= cut && cut <= inner),
            "cut at {cut} did not merge"
        );
    }

    // A demo list with blank lines everywhere, cut at many places.
    let mut merged = 0;
    let src = &s.files["dtks.csv"];
    let src_d0 = src.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
    let (orig, _) = one_pass_and_parts(&s, "dtks", src, &[src_d0]);
    let mut data = b"\n\n".to_vec();
    for (i, line) in src.split_inclusive(|b| *b == b'\n').enumerate() {
        data.extend_from_slice(line);
        match i % 7 {
            1 => data.extend_from_slice(b"\n"),
            4 => data.extend_from_slice(b"\n\n\r\n\n"),
            _ => {}
        }
    }
    data.extend_from_slice(b"\n\n\n");
    let len = data.len() as u64;
    let t_start = {
        let ctx = Context {
            workflow: &s.wf,
            workflow_file: "workflow.json",
            today: today(),
        };
        pipeline::Tokenizer::new(
            &ctx,
            &s.secret,
            "dtks",
            &data,
            "b.csv",
            &InputOptions::default(),
        )
        .unwrap()
        .data_start()
    };
    let blank_runs: Vec<u64> = data
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\n\n")
        .map(|(i, _)| i as u64 + 1)
        .filter(|&i| i > t_start)
        .step_by(3)
        .collect();
    let plans = blank_runs.len();
    for &cut in &blank_runs {
        let (sum, ok) = one_pass_and_parts(&s, "dtks", &data, &[t_start, cut, (cut + len) / 2]);
        assert_eq!(
            (sum.rows_in, sum.rows_rejected),
            (orig.rows_in, orig.rows_rejected)
        );
        merged += usize::from(ok);
    }
    assert!(
        plans >= 10 && merged * 10 >= plans * 9,
        "{merged} of {plans} merged"
    );
}

/// A NIK column damaged by a spreadsheet (far too many NIKs end in 0) is handled after the
/// parts are merged: the same bytes and receipt as one pass wherever the cuts fall, the
/// damaged NIKs' tokens removed and rows left with no key rejected as `nik_column_damage`.
#[test]
fn damaged_nik_column_is_the_same_in_parts() {
    let s = scenario(200, 3);
    let mut data = b"NIK,NAMA,TGL_LAHIR\n".to_vec();
    for i in 0..400u32 {
        // Serials 0010, 0013, 0030, ...: half the NIKs end in 0 (damage). Every third row has
        // no name, so a damaged NIK leaves it without any match key.
        let serial = if i % 2 == 0 { (i + 1) * 10 } else { i * 10 + 3 };
        let name = if i % 3 == 0 { "" } else { "SITI AMINAH" };
        data.extend_from_slice(
            format!("320901450580{:04},{name} {i},05-05-1980\n", serial % 10000).as_bytes(),
        );
    }
    let len = data.len() as u64;
    let d0 = data.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
    for cuts in [
        vec![d0],
        vec![d0, len / 2],
        vec![d0, len / 5, len / 3, len / 2 + 3, len - 10],
    ] {
        let (sum, merged) = one_pass_and_parts(&s, "dtks", &data, &cuts);
        assert!(merged, "cut at {cuts:?}");
        assert!(sum.nik_column_damaged);
        let dropped = sum
            .rejected
            .iter()
            .filter(|r| r.reason == "nik_column_damage")
            .count();
        // Rows 0, 6, 12, ...: even (NIK ends in 0) and without a name.
        assert_eq!(dropped, (0..400).filter(|i| i % 6 == 0).count());
        assert_eq!(sum.rows_in, 400);
        assert_eq!(sum.rows_tokenized + sum.rows_rejected, 400);
        assert_eq!(sum.tokens_per_key["nik"], 200);
    }
}
