//! Fuzzy matching on a small demo scenario (issue 5): it must raise recall, overall and
//! for rows whose NIK is unusable, without pushing precision below 0.99.

use std::io::Write;

use padan::date::Date;
use padan::fuzzy::config::FuzzyConfig;
use padan::fuzzy::demo_eval::{evaluate, DemoList};
use padan::keys::Secret;
use padan::pipeline::Context;

type Files = std::rc::Rc<std::cell::RefCell<Vec<(String, Vec<u8>)>>>;
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

#[test]
fn fuzzy_raises_recall_and_keeps_precision() {
    let files: Files = Default::default();
    padan::demo::generate(
        &padan::demo::DemoConfig {
            people: 8000,
            seed: 3,
        },
        &mut |name| {
            Ok(Box::new(Sink(files.clone(), name.to_string(), Vec::new())) as Box<dyn Write>)
        },
    )
    .unwrap();
    let files = files.take();
    let get = |n: &str| &files.iter().find(|f| f.0 == n).unwrap().1;
    let parties: Vec<(&str, &str)> = padan::demo::LISTS
        .iter()
        .map(|(id, name, _)| (*id, *name))
        .collect();
    let mut wf = padan::workflow::demo_workflow(&parties, "2025-01-01", "2030-12-31");
    wf.fuzzy = Some(FuzzyConfig::recommended(&wf.fields));
    let ctx = Context {
        workflow: &wf,
        workflow_file: "workflow.json",
        today: Date::new(2026, 6, 1).unwrap(),
    };
    let lists: Vec<DemoList> = padan::demo::LISTS
        .iter()
        .map(|(party, _, file)| DemoList {
            party,
            file,
            bytes: get(file),
        })
        .collect();
    let r = evaluate(&ctx, &Secret::from_bytes([9; 32]), &lists, get("truth.csv")).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
    assert!(r.rows_nik_unusable > 0);
    assert!(r.fuzzy_links > 0 && r.typo_links > 0, "{r:?}");
    assert!(r.fuzzy.recall > r.exact.recall, "{r:?}");
    assert!(
        r.fuzzy_nik_unusable.recall > r.exact_nik_unusable.recall,
        "{r:?}"
    );
    assert!(r.fuzzy.precision >= 0.99, "{r:?}");
    assert!(r.fuzzy_nik_unusable.precision >= 0.99, "{r:?}");
}
