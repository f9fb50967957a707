//! Runs the example cases of every scheme (`case.rs`), so that `cargo test` fails when a rule
//! change breaks a case.

use crate::assess::decide;
use crate::catalogue::Catalogue;
use crate::vocabulary::Scope;

/// A case whose decision differs from what the scheme file expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    pub file: String,
    pub line: usize,
    pub case: String,
    pub problem: String,
}

/// Runs every case of every scheme; an empty list means all passed.
pub fn run_all(cat: &Catalogue) -> Vec<CaseFailure> {
    let mut failures = Vec::new();
    for (i, scheme) in cat.schemes.iter().enumerate() {
        for case in &scheme.cases {
            let facts = crate::bounds::fill(&cat.bounds, &cat.vocab, &case.facts, case.as_of);
            let members: Vec<&[Option<i64>]> = facts.members.iter().map(|m| m.values.as_slice()).collect();
            let subject = (scheme.unit == Scope::Person).then_some(0);
            let fail = |problem: String| CaseFailure {
                file: scheme.file.clone(),
                line: case.line,
                case: case.name.clone(),
                problem,
            };
            let Some(found) = decide(cat, i, scheme, &facts, &members, subject, case.as_of) else {
                failures.push(fail(format!("no version of {} is in force on {}", scheme.code, case.as_of)));
                continue;
            };
            if found.outcome != case.expect {
                failures.push(fail(format!("expected {:?}, got {:?}", case.expect, found.outcome)));
                continue;
            }
            let mut got: Vec<String> =
                found.missing.iter().map(|m| cat.vocab.get(m.fact).name.clone()).collect();
            got.sort();
            got.dedup();
            let mut want = case.missing.clone();
            want.sort();
            if got != want {
                failures.push(fail(format!("expected missing {want:?}, got {got:?}")));
            }
        }
    }
    failures
}
