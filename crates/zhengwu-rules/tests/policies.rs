//! Every policy in the repository's `policies/` compiles, and its YAML cases pass.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::path::PathBuf;

use zhengwu_rules::cli;

fn policies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies")
}

fn policy_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(policies_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rules"))
        .collect();
    v.sort();
    v
}

#[test]
fn the_demo_policy_set_exists_with_twenty_clauses() {
    let files = policy_files();
    assert!(!files.is_empty(), "policies/ holds no .rules file");
    let src = std::fs::read_to_string(policies_dir().join("gaoxin20.rules")).unwrap();
    let p = zhengwu_rules::compile(&src).unwrap();
    assert_eq!(p.clauses.len(), 20);
}

#[test]
fn every_policy_file_type_checks() {
    for f in policy_files() {
        let out = cli::check(&f);
        assert!(out.success, "{}", out.stderr);
    }
}

#[test]
fn every_policy_file_passes_its_yaml_cases() {
    for f in policy_files() {
        assert!(
            cli::cases_path_for(&f).is_some(),
            "{} has no cases file beside it",
            f.display()
        );
        let out = cli::test(&f);
        assert!(out.success, "{}\n{}{}", f.display(), out.stdout, out.stderr);
    }
}
