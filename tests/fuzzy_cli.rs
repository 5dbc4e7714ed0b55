//! Fuzzy matching from the command line (issue 5): `padan demo --fuzzy`, then the whole
//! flow; results carry `perlu_verifikasi` with a reason, the annotated lists say it in
//! words, and `padan evaluate` reports quality with and without fuzzy matching.

mod common;
use common::{ok, padan, reattach_demo, tokenize_demo, trust_demo_officer};

#[test]
fn demo_fuzzy_flow_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    ok(&padan(
        &[
            "demo", "--out", "d", "--people", "4000", "--seed", "3", "--fuzzy",
        ],
        p,
    ));
    trust_demo_officer(p);
    let wf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.join("d/workflow.json")).unwrap()).unwrap();
    assert_eq!(wf["fuzzy"]["similarity_percent"], 90);
    // The privacy officer's summary says fuzzy matching is on.
    let summary = ok(&padan(
        &["officer", "summary", "--workflow", "d/workflow.json"],
        p,
    ));
    assert!(summary.contains("PENCOCOKAN MIRIP AKTIF"), "{summary}");

    let mut toks = Vec::new();
    for (party, _, file) in padan::demo::LISTS {
        let t = format!("{party}.tokens");
        ok(&tokenize_demo(p, party, &format!("d/{file}"), &t, &[]));
        assert!(std::fs::read(p.join(&t))
            .unwrap()
            .starts_with(b"padan-tokens/2\n"));
        toks.push(t);
    }
    let mut args = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res",
    ];
    args.extend(toks.iter().map(String::as_str));
    let out = ok(&padan(&args, p));
    assert!(out.contains("Pencocokan mirip"), "{out}");
    // The streamed compare with a tiny sort budget (runs spilled to disk) gives the same
    // files, fuzzy links included.
    let mut small = vec![
        "compare",
        "--workflow",
        "d/workflow.json",
        "--out-dir",
        "res-small",
        "--memory",
        "64K",
    ];
    small.extend(toks.iter().map(String::as_str));
    ok(&padan(&small, p));
    for (party, _, _) in padan::demo::LISTS {
        let f = format!("{party}.result.csv");
        assert_eq!(
            std::fs::read(p.join("res").join(&f)).unwrap(),
            std::fs::read(p.join("res-small").join(&f)).unwrap(),
            "{f}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(p.join("res/summary.json")).unwrap()).unwrap();
    let v = &summary["verification"];
    assert!(v["nik_typo_links"].as_u64().unwrap() > 0, "{v}");

    // Every office: the reason column is filled exactly for perlu_verifikasi rows, and the
    // annotated list says why in words.
    let mut to_verify = 0;
    for (party, _, file) in padan::demo::LISTS {
        let res = format!("res/{party}.result.csv");
        let text = std::fs::read_to_string(p.join(&res)).unwrap();
        let cols: Vec<&str> = text.lines().nth(1).unwrap().split(',').collect();
        let (s, v) = (1, cols.iter().position(|c| *c == "verifikasi").unwrap());
        for line in text.lines().skip(2) {
            let c: Vec<&str> = line.split(',').collect();
            assert_eq!(c[s] == "perlu_verifikasi", !c[v].is_empty(), "{line}");
            to_verify += usize::from(c[s] == "perlu_verifikasi");
        }
        ok(&reattach_demo(
            p,
            party,
            &format!("d/{file}"),
            &res,
            &format!("{party}.annotated.csv"),
            &[],
        ));
        let annotated = std::fs::read_to_string(p.join(format!("{party}.annotated.csv"))).unwrap();
        let n = text.matches(",perlu_verifikasi,").count();
        assert!(annotated.matches("PERLU VERIFIKASI (").count() >= n);
    }
    assert!(to_verify > 0);

    // Quality with and without fuzzy matching.
    let q: serde_json::Value =
        serde_json::from_str(&ok(&padan(&["evaluate", "--demo", "d"], p))).unwrap();
    assert!(q["fuzzy"]["recall"].as_f64().unwrap() > q["exact"]["recall"].as_f64().unwrap());
    assert!(q["fuzzy"]["precision"].as_f64().unwrap() >= 0.99, "{q}");
    assert!(
        q["fuzzy_nik_unusable"]["precision"].as_f64().unwrap() >= 0.99,
        "{q}"
    );
}
