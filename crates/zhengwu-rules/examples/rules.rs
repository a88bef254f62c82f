//! A stand-in for `zhengwu rules …` until the binary wires the sub-commands:
//!
//! ```text
//! cargo run -p zhengwu-rules --example rules -- check policies/gaoxin20.rules
//! cargo run -p zhengwu-rules --example rules -- test  policies/gaoxin20.rules
//! cargo run -p zhengwu-rules --example rules -- eval  policies/gaoxin20.rules --input '{"…": …}' --date 2024-06-30 [--trace]
//! ```

use std::path::Path;
use std::process::ExitCode;

use zhengwu_rules::cli;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage =
        "usage: rules check|test FILE | rules eval FILE --input JSON --date YYYY-MM-DD [--trace]";
    let (Some(cmd), Some(file)) = (args.first(), args.get(1)) else {
        eprintln!("{usage}");
        return ExitCode::from(2);
    };
    let path = Path::new(file);
    let out = match cmd.as_str() {
        "check" => cli::check(path),
        "test" => cli::test(path),
        "eval" => {
            let get = |flag: &str| {
                args.iter()
                    .position(|a| a == flag)
                    .and_then(|i| args.get(i + 1))
                    .cloned()
            };
            let (Some(input), Some(date)) = (get("--input"), get("--date")) else {
                eprintln!("{usage}");
                return ExitCode::from(2);
            };
            cli::eval(path, &input, &date, args.iter().any(|a| a == "--trace"))
        }
        _ => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
    };
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    if out.success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
