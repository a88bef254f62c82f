//! `zhengwu bench …`: the measurements behind docs/benchmarks.md.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// Starts the real binary `runs` times on a fresh data directory (migration, calendar seed and
/// demo district load included), then as many times on the existing one; reports the time
/// from process start until `/readyz` answers 200, and the resident memory then and after the
/// home page was rendered once.
pub async fn startup(runs: u32, warm: bool) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let dir = crate::cli::temp_data_dir("bench-startup");
    println!("| start | run | ready (ms) | RSS at ready (MiB) | RSS after home page (MiB) |");
    println!("|---|---|---|---|---|");
    let mut kinds = vec![("cold", true)];
    if warm {
        kinds.push(("warm", false));
    }
    for (label, fresh) in kinds {
        let mut times = Vec::new();
        for run in 1..=runs {
            if fresh {
                let _ = std::fs::remove_dir_all(&dir);
            }
            let t0 = Instant::now();
            let mut child = Command::new(&exe)
                .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
                .arg(&dir)
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start zhengwu serve")?;
            let stdout = child.stdout.take().context("no stdout")?;
            let line = tokio::task::spawn_blocking(move || {
                let mut r = BufReader::new(stdout);
                let mut line = String::new();
                while r.read_line(&mut line).unwrap_or(0) > 0 {
                    if line.starts_with("listening on ") {
                        return Some(line);
                    }
                    line.clear();
                }
                None
            })
            .await?
            .context("the server did not start")?;
            let base = line.trim().trim_start_matches("listening on ").to_owned();
            let ready = loop {
                if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                    && r.status().is_success()
                {
                    break t0.elapsed();
                }
                anyhow::ensure!(t0.elapsed() < Duration::from_secs(60), "not ready in 60 s");
                tokio::time::sleep(Duration::from_millis(2)).await;
            };
            let rss_ready = rss_mib(child.id());
            let _ = client.get(format!("{base}/")).send().await?.text().await?;
            let rss_home = rss_mib(child.id());
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
            times.push(ready.as_secs_f64() * 1000.0);
            println!(
                "| {label} | {run} | {:.0} | {rss_ready:.1} | {rss_home:.1} |",
                ready.as_secs_f64() * 1000.0
            );
        }
        times.sort_by(f64::total_cmp);
        println!("| {label} | median | {:.0} | | |", times[times.len() / 2]);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Resident set size of a process in MiB (Linux `/proc`), 0 elsewhere.
fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
