//! Fuzzy matching through the whole pipeline (issue 5): a workflow with a `fuzzy` section
//! makes `padan-tokens/2` files; `compare` keeps the exact clusters and marks records
//! linked by a similar name or a probable NIK typo as `perlu_verifikasi`, with the reason
//! and no score; re-attachment writes the reason in words.

use padan::date::Date;
use padan::fuzzy::config::FuzzyConfig;
use padan::keys::Secret;
use padan::pipeline::{self, Context, InputOptions};
use padan::result::{read_result, Status, Verify};
use padan::workflow::Workflow;

const DTKS: &str = "NIK;NAMA;TGL_LAHIR;KECAMATAN\n\
3209014508800012;SITI NURHAYATI;05-08-1980;Waled\n\
3209011203750003;AHMAD FAUZI;12-03-1975;Waled\n\
3209010101600001;DEDI KURNIAWAN;01-01-1960;Waled\n\
3209015007700001;RATNA SARI;10-07-1970;Waled\n";

/// SITI without a NIK and the last letter of her name missing; AHMAD with the last NIK digit
/// mistyped; DEDI exact; YANTI in no other list.
const DINKES: &str = "NIK;NAMA;TGL_LAHIR;KECAMATAN\n\
;SITI NURHAYAT;05-08-1980;Waled\n\
3209011203750008;AHMAD FAUZI;12-03-1975;Waled\n\
3209010101600001;DEDI KURNIAWAN;01-01-1960;Waled\n\
3209016005850002;YANTI;20-05-1985;Waled\n";

fn workflow(fuzzy: bool) -> Workflow {
    let mut wf = padan::workflow::demo_workflow(
        &[("dtks", "DTKS"), ("dinkes", "Dinas Kesehatan")],
        "2025-01-01",
        "2030-12-31",
    );
    if fuzzy {
        wf.fuzzy = Some(FuzzyConfig::recommended(&wf.fields));
    }
    // The workflow round-trips through its JSON form and validates.
    let json = serde_json::to_vec(&wf).unwrap();
    Workflow::parse(&json, "workflow.json").unwrap()
}

struct Run {
    tokens: Vec<(String, Vec<u8>)>,
    out: padan::compare::CompareOutput,
}

fn run(wf: &Workflow) -> Run {
    let ctx = Context {
        workflow: wf,
        workflow_file: "workflow.json",
        today: Date::new(2026, 6, 1).unwrap(),
    };
    let secret = Secret::from_bytes([7; 32]);
    let mut tokens = Vec::new();
    for (party, data) in [("dtks", DTKS), ("dinkes", DINKES)] {
        let mut buf = Vec::new();
        let s = pipeline::tokenize(
            &ctx,
            &secret,
            party,
            data.as_bytes(),
            &format!("{party}.csv"),
            &InputOptions::default(),
            &mut buf,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(s.rows_tokenized, 4, "{party}");
        tokens.push((format!("{party}.tokens"), buf));
    }
    let inputs = tokens
        .iter()
        .map(|(n, b)| (n.clone(), Box::new(&b[..]) as Box<dyn std::io::Read>))
        .collect();
    let out = pipeline::compare(&ctx, inputs, &mut |_| {}).unwrap();
    Run { tokens, out }
}

/// (status, reason) per row of `party`'s list, in row order.
fn statuses(wf: &Workflow, r: &Run, party: &str, data: &str) -> Vec<(Status, Option<Verify>)> {
    let file = r.out.results.iter().find(|f| f.party == party).unwrap();
    let res = read_result(&file.bytes, &file.file_name).unwrap();
    let refs = padan::quality::list_references(
        &Context {
            workflow: wf,
            workflow_file: "workflow.json",
            today: Date::new(2026, 6, 1).unwrap(),
        },
        &Secret::from_bytes([7; 32]),
        party,
        data.as_bytes(),
        "x.csv",
        &InputOptions::default(),
    )
    .unwrap();
    refs.iter()
        .map(|r| {
            let row = res.rows.iter().find(|x| &x.reference == r).unwrap();
            (row.status, row.verify)
        })
        .collect()
}

#[test]
fn similar_names_and_nik_typos_are_to_verify_and_never_merged() {
    let wf = workflow(true);
    let r = run(&wf);
    for (_, bytes) in &r.tokens {
        assert!(bytes.starts_with(b"padan-tokens/2\n"));
    }
    use Status::*;
    assert_eq!(
        statuses(&wf, &r, "dinkes", DINKES),
        [
            (PerluVerifikasi, Some(Verify::SimilarName)),
            (PerluVerifikasi, Some(Verify::NikTypo)),
            (Matched, None),
            (NotFound, None),
        ]
    );
    assert_eq!(
        statuses(&wf, &r, "dtks", DTKS),
        [
            (PerluVerifikasi, Some(Verify::SimilarName)),
            (PerluVerifikasi, Some(Verify::NikTypo)),
            (Matched, None),
            (NotFound, None),
        ]
    );
    // Not merged: 8 records, one exact match, 7 people.
    let c = &r.out.clusters;
    let mut people: Vec<u32> = c.cluster.clone();
    people.sort_unstable();
    people.dedup();
    assert_eq!(people.len(), 7);
    assert_eq!(c.verify.len(), 2);
    let v = r.out.summary.verification.as_ref().unwrap();
    assert_eq!(r.out.summary.people_total, serde_json::json!(7));
    // Below k = 5: suppressed.
    assert_eq!(v.records, serde_json::json!("<5"));
    // Result files: the reason column, no score, no token.
    for f in &r.out.results {
        let text = String::from_utf8(f.bytes.clone()).unwrap();
        let mut lines = text.lines();
        let header = lines.next().unwrap();
        assert!(header.contains("\"perlu_verifikasi\":2"), "{header}");
        let want = if f.party == "dtks" {
            "ref,status,duplicate,verifikasi"
        } else {
            "ref,status,duplicate,verifikasi,in_reference"
        };
        assert_eq!(lines.next().unwrap(), want);
        for line in lines {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), want.split(',').count(), "{line}");
            assert!(!line.contains('.'), "no score: {line}");
        }
        for (_, t) in &r.tokens {
            let body = &t[t.len() - 48..t.len() - 32];
            assert!(!text.contains(&hex::encode(body)));
        }
    }
    assert!(r.out.summary_text.contains("Pencocokan mirip"));
}

#[test]
fn without_fuzzy_the_same_rows_are_conflict_and_not_found() {
    let wf = workflow(false);
    let r = run(&wf);
    for (_, bytes) in &r.tokens {
        assert!(bytes.starts_with(b"padan-tokens/1\n"));
    }
    use Status::*;
    assert_eq!(
        statuses(&wf, &r, "dinkes", DINKES),
        [
            (NotFound, None),
            (Conflict, None),
            (Matched, None),
            (NotFound, None)
        ]
    );
    assert!(r.out.summary.verification.is_none());
    let text = String::from_utf8(r.out.results[0].bytes.clone()).unwrap();
    assert!(!text.contains("verifikasi") && !text.contains("perlu_verifikasi"));
}

#[test]
fn reattach_says_why_in_words() {
    let wf = workflow(true);
    let r = run(&wf);
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: Date::new(2026, 6, 1).unwrap(),
    };
    let res = r.out.results.iter().find(|f| f.party == "dinkes").unwrap();
    let mut out = Vec::new();
    pipeline::reattach(
        &ctx,
        &Secret::from_bytes([7; 32]),
        "dinkes",
        DINKES.as_bytes(),
        "dinkes.csv",
        &InputOptions::default(),
        &res.bytes,
        &res.file_name,
        &mut out,
        &mut |_| {},
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].starts_with(";SITI NURHAYAT;")
            && lines[1].contains("PERLU VERIFIKASI (NAMA MIRIP)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("PERLU VERIFIKASI (KEMUNGKINAN SALAH KETIK NIK)")
            && lines[2].contains("periksa NIK"),
        "{}",
        lines[2]
    );
}

#[test]
fn a_fuzzy_token_file_is_refused_under_another_layout() {
    let wf = workflow(true);
    let r = run(&wf);
    let bytes = &r.tokens[0].1;
    let tf = padan::tokens::read_token_file(bytes, "dtks.tokens").unwrap();
    let h = &tf.header;
    assert_eq!(h.format, "padan-tokens/2");
    let f = h.fuzzy.as_ref().unwrap();
    assert_eq!((f.bits, f.blocks, f.typo, f.filters), (1024, 2, true, 4));
    assert!(tf
        .records
        .iter()
        .all(|r| r.fuzzy.len() == 1 + 128 + 16 + 70));
    // A workflow with another fuzzy section (same digest is impossible, so check the
    // layout rule directly): the reader refuses a v2 header without its fuzzy object.
    let text = String::from_utf8_lossy(bytes);
    let broken = text.replacen("padan-tokens/2\n", "padan-tokens/1\n", 1);
    let err = padan::tokens::read_token_file(broken.as_bytes(), "dtks.tokens").unwrap_err();
    assert!(err.to_string().contains("dtks.tokens"), "{err}");
    // A corrupted fuzzy mask byte is refused (before the checksum would catch it).
    let mut bad = bytes.clone();
    let start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let start = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let exact = 16 + 1 + 16 * 3;
    bad[start + exact] = 0x40;
    let err = padan::tokens::read_token_file(&bad, "dtks.tokens").unwrap_err();
    assert!(err.to_string().contains("rusak"), "{err}");
    // Spark export is for exact matching only, and says so.
    let err = padan::export::TokenRows::new(&bytes[..], "dtks.tokens")
        .err()
        .unwrap();
    assert!(err.to_string().contains("padan compare"), "{err}");
}

#[test]
fn without_diffusion_min_hash_lsh_joins_the_blocks() {
    // Diffusion 0: the coordinator also blocks on min-hash LSH bands of the filters
    // (computed from the filters alone, so they reveal nothing new). Drop the blocks that
    // would find SITI: the LSH bands must find her.
    let mut wf = padan::workflow::demo_workflow(
        &[("dtks", "DTKS"), ("dinkes", "Dinas Kesehatan")],
        "2025-01-01",
        "2030-12-31",
    );
    let mut cfg = FuzzyConfig::recommended(&wf.fields);
    cfg.blocks = vec![vec!["name".into(), "birth_year".into()]];
    for (diffusion, found) in [(3, false), (0, true)] {
        cfg.diffusion = diffusion;
        wf.fuzzy = Some(cfg.clone());
        let wf = Workflow::parse(&serde_json::to_vec(&wf).unwrap(), "workflow.json").unwrap();
        let r = run(&wf);
        let st = statuses(&wf, &r, "dinkes", DINKES);
        let want = if found {
            (Status::PerluVerifikasi, Some(Verify::SimilarName))
        } else {
            (Status::NotFound, None)
        };
        assert_eq!(st[0], want, "diffusion {diffusion}");
        assert_eq!(st[1], (Status::PerluVerifikasi, Some(Verify::NikTypo)));
    }
}

#[test]
fn without_blocks_every_pair_is_compared() {
    // Small lists: no block tokens at all (the most private), every pair compared.
    let mut wf = padan::workflow::demo_workflow(
        &[("dtks", "DTKS"), ("dinkes", "Dinas Kesehatan")],
        "2025-01-01",
        "2030-12-31",
    );
    let mut cfg = FuzzyConfig::recommended(&wf.fields);
    cfg.blocks.clear();
    wf.fuzzy = Some(cfg);
    let wf = Workflow::parse(&serde_json::to_vec(&wf).unwrap(), "workflow.json").unwrap();
    let r = run(&wf);
    let st = statuses(&wf, &r, "dinkes", DINKES);
    assert_eq!(st[0], (Status::PerluVerifikasi, Some(Verify::SimilarName)));
    let tf = padan::tokens::read_token_file(&r.tokens[0].1, "dtks.tokens").unwrap();
    assert_eq!(tf.header.fuzzy.as_ref().unwrap().blocks, 0);
    assert!(tf.records.iter().all(|x| x.fuzzy.len() == 1 + 128 + 70));
    let v = r.out.summary.verification.as_ref().unwrap();
    assert_eq!((v.blocks_skipped, v.pairs_skipped), (0, 0));
}
