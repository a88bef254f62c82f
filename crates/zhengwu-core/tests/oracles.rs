//! Our calendar and identifier checks against independent implementations from PyPI:
//! `chinesecalendar` (every date 2007-01-01 … 2026-12-31) and `python-stdnum` (`cn.ric`,
//! `cn.uscc`) on generated valid and corrupted numbers.
//!
//! The oracles run the real packages through `tests/oracles/*.py` with the interpreter named by
//! `ZHENGWU_PYTHON` (default `python3`). Where the packages are not installed the tests say so
//! and pass, unless `ZHENGWU_REQUIRE_ORACLES` is set — `.ci/run` sets it after installing both
//! packages in a virtualenv, so in CI a missing oracle is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a failed unwrap is a failed test

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use zhengwu_core::Calendar;
use zhengwu_core::ident::{
    CreditCode, IdNumber, IdentError, org_code_check_char, ric_check_char, uscc_check_char,
};

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles")
}

/// Runs an oracle script; `None` when the oracle is unavailable and not required.
fn run_oracle(script: &str, args: &[&str], stdin: &str) -> Option<String> {
    let python = std::env::var("ZHENGWU_PYTHON").unwrap_or_else(|_| "python3".into());
    let required = std::env::var_os("ZHENGWU_REQUIRE_ORACLES").is_some();
    let child = Command::new(&python)
        .arg(oracle_dir().join(script))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("SKIPPED {script}: cannot start {python}: {e}");
            return None;
        }
        Err(e) => panic!("cannot start {python}: {e}"),
    };
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_owned();
    let writer = std::thread::spawn(move || input.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().unwrap();
    // A write error means the script stopped early; its exit status says why.
    let _ = writer.join();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if required {
            panic!("{script} failed: {err}");
        }
        eprintln!("SKIPPED {script} (set ZHENGWU_PYTHON to a python with the package): {err}");
        return None;
    }
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_calendar_agrees_with_chinesecalendar_on_every_date_2007_to_2026() {
    let Some(oracle) = run_oracle("chinesecalendar_days.py", &["2007-01-01", "2026-12-31"], "")
    else {
        return;
    };
    let cal = Calendar::china();
    let mut compared = 0;
    let mut differences = Vec::new();
    for line in oracle.lines() {
        let (date, flag) = line.split_once('\t').unwrap();
        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        let theirs = flag == "1";
        if cal.is_working_day(date) != theirs {
            differences.push(format!("{date}: ours {} theirs {theirs}", !theirs));
        }
        compared += 1;
    }
    assert_eq!(compared, 7305, "the oracle must cover every date 2007–2026");
    assert!(differences.is_empty(), "{differences:#?}");
}

/// A small deterministic generator (SplitMix64), so the test needs no random crate and
/// every run checks the same numbers.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick(&mut self, chars: &[u8]) -> u8 {
        chars[self.below(chars.len() as u64) as usize]
    }
}

const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Valid ID numbers, and corrupted ones: a changed digit, a changed check character, an
/// impossible birth date.
fn id_numbers(g: &mut Gen, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let province = [11u64, 21, 31, 44, 51, 65][g.below(6) as usize];
        let region = province * 10000 + g.below(10000);
        let day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap()
            + chrono::Duration::days(g.below(45_000) as i64);
        let first17 = format!("{region:06}{}{:03}", day.format("%Y%m%d"), g.below(1000));
        let good = format!("{first17}{}", ric_check_char(first17.as_bytes()).unwrap());
        out.push(good.clone());
        let mut b = good.clone().into_bytes();
        let pos = g.below(18) as usize;
        b[pos] = if pos == 17 {
            g.pick(b"0123456789X")
        } else {
            g.pick(b"0123456789")
        };
        out.push(String::from_utf8(b).unwrap());
        // 30 February, 31 April, month 13 …
        let bad_date = ["0230", "0431", "1301", "0000", "0229"][g.below(5) as usize];
        let mut b = first17.into_bytes();
        b[10..14].copy_from_slice(bad_date.as_bytes());
        let f17 = String::from_utf8(b).unwrap();
        out.push(format!("{f17}{}", ric_check_char(f17.as_bytes()).unwrap()));
    }
    out
}

/// Valid credit codes, and corrupted ones: a changed character, and a code whose overall
/// check character is right but whose embedded organisation code's is wrong.
fn credit_codes(g: &mut Gen, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let head = format!(
            "{}{}{:06}",
            char::from(g.pick(b"12345679ANY")),
            char::from(g.pick(b"123Y")),
            110000 + g.below(550000)
        );
        let org: String = (0..8).map(|_| char::from(g.pick(USCC_CHARS))).collect();
        let org_check = org_code_check_char(org.as_bytes()).unwrap();
        let first17 = format!("{head}{org}{org_check}");
        let good = format!("{first17}{}", uscc_check_char(first17.as_bytes()).unwrap());
        out.push(good.clone());
        let mut b = good.into_bytes();
        let pos = g.below(18) as usize;
        b[pos] = g.pick(USCC_CHARS);
        out.push(String::from_utf8(b).unwrap());
        let wrong_org = if org_check == '0' { '1' } else { '0' };
        let f17 = format!("{head}{org}{wrong_org}");
        out.push(format!("{f17}{}", uscc_check_char(f17.as_bytes()).unwrap()));
    }
    out
}

#[test]
fn identifier_checks_agree_with_python_stdnum() {
    let mut g = Gen(20261125);
    let ids = id_numbers(&mut g, 700);
    let codes = credit_codes(&mut g, 700);
    let mut input = String::new();
    for id in &ids {
        input.push_str(&format!("ric {id}\n"));
    }
    for c in &codes {
        input.push_str(&format!("uscc {c}\n"));
    }
    let Some(oracle) = run_oracle("stdnum_check.py", &[], &input) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let lines: Vec<&str> = oracle.lines().collect();
    assert_eq!(lines.len(), ids.len() + codes.len());
    let mut differences = Vec::new();
    let (mut valid_ids, mut valid_codes) = (0, 0);
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "ric" => {
                let (number, check_ok, date_ok) = (f[1], f[2] == "1", f[3] == "1");
                let ours = IdNumber::parse(number, today);
                let our_check = ric_check_char(&number.as_bytes()[..17])
                    == Some(char::from(number.as_bytes()[17]));
                let our_date = !matches!(ours, Err(IdentError::BirthDate));
                // We also reject birth years before 1850 (nobody alive was born then), which
                // stdnum accepts as dates: such lines are compared on the check digit only.
                let year: i32 = number[6..10].parse().unwrap_or(0);
                let date_differs = our_date != date_ok && year >= 1850;
                if our_check != check_ok || date_differs {
                    differences.push(format!(
                        "ric {number}: ours {ours:?}, stdnum check={check_ok} date={date_ok}"
                    ));
                }
                // Where both the check and the date are right, we accept it (or it was born
                // after today).
                if check_ok && date_ok && ours.is_ok() {
                    valid_ids += 1;
                }
            }
            "uscc" => {
                let (code, check_ok, org_ok) = (f[1], f[3] == "1", f[4] == "1");
                let ours = CreditCode::parse(code);
                let our_check = uscc_check_char(&code.as_bytes()[..17])
                    == Some(char::from(code.as_bytes()[17]));
                let our_org = org_code_check_char(&code.as_bytes()[8..16])
                    == Some(char::from(code.as_bytes()[16]));
                if our_check != check_ok
                    || our_org != org_ok
                    || ours.is_ok() != (check_ok && org_ok)
                {
                    differences.push(format!(
                        "uscc {code}: ours {ours:?}, stdnum check={check_ok} org={org_ok}"
                    ));
                }
                if ours.is_ok() {
                    valid_codes += 1;
                }
            }
            other => panic!("unexpected oracle line {other}"),
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
    assert!(
        valid_ids >= 600,
        "the sample must hold valid numbers too ({valid_ids})"
    );
    assert!(
        valid_codes >= 600,
        "the sample must hold valid codes too ({valid_codes})"
    );
}
