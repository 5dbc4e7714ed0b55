//! Fuzzy matching on the `padan demo` scenario (issue 5): precision and recall with and
//! without it, overall and for rows whose NIK is unusable.
//!
//! ```sh
//! cargo run --release --example fuzzy_demo [-- PEOPLE [PERCENT...]]   # default 20000 90
//! ```
//!
//! The workflow is the demo's with the recommended `fuzzy` section
//! (`FuzzyConfig::recommended`), its similarity threshold set to each PERCENT in turn.
//!
//! ```text
//! ```

use std::io::Write;

use padan::date::Date;
use padan::fuzzy::config::FuzzyConfig;
use padan::fuzzy::demo_eval::{evaluate, DemoList};
use padan::keys::Secret;
use padan::pipeline::Context;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let people: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let mut thresholds: Vec<u32> = args.iter().skip(1).filter_map(|a| a.parse().ok()).collect();
    if thresholds.is_empty() {
        thresholds.push(90);
    }
    type Files = std::rc::Rc<std::cell::RefCell<Vec<(String, Vec<u8>)>>>;
    let files: Files = Default::default();
    struct Sink(Files, String, Vec<u8>);
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
            let data = std::mem::take(&mut self.2);
            self.0.borrow_mut().push((self.1.clone(), data));
        }
    }
    padan::demo::generate(&padan::demo::DemoConfig { people, seed: 1 }, &mut |name| {
        Ok(Box::new(Sink(files.clone(), name.to_string(), Vec::new())) as Box<dyn Write>)
    })
    .expect("in memory");
    let files = files.take();
    let get = |n: &str| &files.iter().find(|f| f.0 == n).expect("generated").1;
    let parties: Vec<(&str, &str)> = padan::demo::LISTS
        .iter()
        .map(|(id, name, _)| (*id, *name))
        .collect();
    let mut wf = padan::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
    let secret = Secret::from_bytes([9u8; 32]);
    let lists: Vec<DemoList> = padan::demo::LISTS
        .iter()
        .map(|(party, _, file)| DemoList {
            party,
            file,
            bytes: get(file),
        })
        .collect();
    for t in thresholds {
        let mut cfg = FuzzyConfig::recommended(&wf.fields);
        cfg.similarity_percent = t;
        // PADAN_FUZZY_BLOCKS="birth_date+kecamatan;name+birth_year" tries other blocks.
        if let Ok(b) = std::env::var("PADAN_FUZZY_BLOCKS") {
            cfg.blocks = b
                .split(';')
                .map(|b| b.split('+').map(str::to_string).collect())
                .collect();
            cfg.validate(&wf.fields, "PADAN_FUZZY_BLOCKS")
                .expect("valid blocks");
        }
        // PADAN_FUZZY_K="birth_date=10" changes a field's weight.
        if let Ok(k) = std::env::var("PADAN_FUZZY_K") {
            for kv in k.split(',') {
                let (f, v) = kv.split_once('=').expect("field=k");
                for x in cfg.fields.iter_mut().filter(|x| x.field == f) {
                    x.k = v.parse().expect("a number");
                }
            }
        }
        let blocks = cfg.blocks.clone();
        wf.fuzzy = Some(cfg);
        let ctx = Context {
            workflow: &wf,
            workflow_file: "workflow.json",
            today: Date::new(2026, 6, 1).expect("date"),
        };
        let start = std::time::Instant::now();
        let r = evaluate(&ctx, &secret, &lists, get("truth.csv")).expect("evaluate");
        println!(
            "{people} people, {} rows ({} without a usable NIK); similarity >= {t}%; blocks {blocks:?}; {} comparisons; \
             {} fuzzy links ({} wrong), {} probable typos ({} wrong); {:.1?} (tokenize + compare + scoring)",
            r.rows, r.rows_nik_unusable, r.comparisons, r.fuzzy_links,
            r.fuzzy_links_wrong, r.typo_links, r.typo_links_wrong,
            start.elapsed()
        );
        for (what, q) in [
            ("exact            ", r.exact),
            ("exact + fuzzy    ", r.fuzzy),
            ("NIK unusable: exact         ", r.exact_nik_unusable),
            ("NIK unusable: exact + fuzzy ", r.fuzzy_nik_unusable),
        ] {
            println!(
                "  {what} precision {:.4}  recall {:.4}  F1 {:.4}  (pairs: true {}, predicted {}, correct {})",
                q.precision, q.recall, q.f1, q.true_pairs, q.predicted_pairs, q.correct_pairs
            );
        }
    }
}
