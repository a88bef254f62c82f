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

/// The demo's items grown to `n` (see [`zhengwu_search::eval::grow`]).
pub fn grown_catalog(n: usize) -> anyhow::Result<Vec<zhengwu_core::catalog::Item>> {
    Ok(zhengwu_search::eval::grow(
        &zhengwu_store::demo::catalog_items()?,
        n,
    ))
}

fn index_of(items: &[zhengwu_core::catalog::Item]) -> anyhow::Result<zhengwu_search::SearchIndex> {
    let departments = zhengwu_store::demo::department_names()?;
    let ix = zhengwu_search::SearchIndex::new()?;
    let synonyms = zhengwu_store::demo::synonyms()?
        .into_iter()
        .map(|(phrase, expansion)| zhengwu_search::Synonym { phrase, expansion })
        .collect();
    ix.rebuild(
        items.iter().map(|i| {
            let d = departments.get(&i.department).map_or("", String::as_str);
            zhengwu_search::Entry::from_item(i, d)
        }),
        synonyms,
    )?;
    Ok(ix)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Recall and MRR on the demo catalog (what a new district's guide answers), then latency on
/// a catalog of `items` items: every question asked `rounds` times, each answer timed alone.
pub fn guide(
    dir: &std::path::Path,
    items: usize,
    rounds: usize,
    show_misses: bool,
) -> anyhow::Result<()> {
    use zhengwu_search::eval;
    let mut questions = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the questions in {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("questions-") && n.ends_with(".toml"))
        })
        .collect();
    files.sort();
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        questions.extend(
            eval::parse_questions(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?,
        );
    }
    let demo = zhengwu_store::demo::catalog_items()?;
    let ix = index_of(&demo)?;
    println!(
        "Recall on the demo catalog ({} items, {} questions):",
        demo.len(),
        questions.len()
    );
    println!("| split | questions | recall@1 | recall@3 | MRR |");
    println!("|---|---|---|---|---|");
    let reports = eval::evaluate(&ix, &questions)?;
    for r in &reports {
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} |",
            r.split, r.questions, r.recall_at_1, r.recall_at_3, r.mrr
        );
    }
    if show_misses {
        // Never the secret splits' misses: nobody tuning may read them.
        for r in reports
            .iter()
            .filter(|r| r.split != "all" && !eval::is_secret(&r.split))
        {
            for m in &r.misses {
                println!(
                    "miss [{}] {} — want {:?}, got {:?}",
                    r.split, m.q, m.answers, m.got
                );
            }
        }
    }
    let grown = grown_catalog(items)?;
    let started = Instant::now();
    let ix = index_of(&grown)?;
    let build = started.elapsed();
    let mut times = Vec::with_capacity(questions.len() * rounds);
    for _ in 0..rounds {
        for q in &questions {
            let t = Instant::now();
            let hits = ix.answer(&q.q, zhengwu_search::Audience::Anyone, 5)?;
            times.push(t.elapsed());
            std::hint::black_box(hits);
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!();
    println!(
        "Latency on {} items (index built in {:.0} ms), {} answers:",
        ix.len(),
        ms(build),
        times.len()
    );
    println!("| p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
    println!("|---|---|---|---|");
    println!(
        "| {:.3} | {:.3} | {:.3} | {:.3} |",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(percentile(&times, 0.99)),
        ms(percentile(&times, 1.0))
    );
    Ok(())
}

/// Runs the application in this process on a fresh SQLite demo database, opens `counters`
/// counters at the public service hall, and lets `clients` concurrent HTTP clients each loop
/// issue → call next (at its counter) → finish for `seconds`; reports cycles per second and
/// the latency of call-next.
/// A server on a fresh data directory with the demo district, and an admin's session.
struct BenchApp {
    base: String,
    db: zhengwu_store::Db,
    client: reqwest::Client,
    cookie: String,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    dir: std::path::PathBuf,
}

impl BenchApp {
    async fn start(name: &str, clients: usize) -> anyhow::Result<Self> {
        let dir = crate::cli::temp_data_dir(name);
        let _ = std::fs::remove_dir_all(&dir);
        let mut config = crate::config::Config::for_data_dir(&dir);
        config.demo_forms = false;
        config.demo_appeals = 0;
        config.demo_cases = 0;
        let password =
            zhengwu_core::secret::random_password().map_err(|e| anyhow::anyhow!("{e}"))?;
        config.demo_password = Some(crate::config::Secret::new(&password));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let app = crate::Application::build(config, listener).await?;
        let base = format!("http://{}", app.local_addr()?);
        let db = app.state().db.clone();
        let stop = app.shutdown_handle();
        let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()?;
        let res = client
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"username": "admin", "password": password}))
            .send()
            .await?;
        let cookie = res
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .context("no session cookie")?
            .to_owned();
        Ok(Self {
            base,
            db,
            client,
            cookie,
            stop,
            server,
            dir,
        })
    }

    async fn hall(&self) -> anyhow::Result<zhengwu_core::ids::UnitId> {
        Ok(zhengwu_store::org::find_by_code(self.db.conn(), "H-PUB")
            .await?
            .context("no hall H-PUB")?
            .id)
    }

    async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.server.await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub async fn queue(counters: usize, clients: usize, seconds: u64) -> anyhow::Result<()> {
    let app = BenchApp::start("bench-queue", clients).await?;
    let hall = app.hall().await?;
    let tx = app.db.begin_write().await?;
    let mut ids = Vec::new();
    for i in 0..counters {
        let c = zhengwu_store::queue::add_counter(&tx, hall, &format!("压测窗口{i}"), &[]).await?;
        zhengwu_store::queue::set_open(&tx, c.id, true, "bench").await?;
        ids.push(c.id);
    }
    tx.commit().await?;
    // Tickets go to every group of the hall in turn: a group numbers at most 9,999 a day,
    // which one group alone would reach within seconds.
    let groups: Vec<String> = zhengwu_store::queue::groups(app.db.conn(), hall)
        .await?
        .into_iter()
        .map(|g| g.code)
        .collect();
    anyhow::ensure!(!groups.is_empty(), "the hall has no item groups");
    let (client, base, cookie) = (app.client.clone(), app.base.clone(), app.cookie.clone());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..clients {
        let (client, base, cookie) = (client.clone(), base.clone(), cookie.clone());
        let groups = groups.clone();
        let counter = ids[w % ids.len()];
        tasks.push(tokio::spawn(async move {
            let mut calls = Vec::new();
            let mut cycles = 0u64;
            let mut errors = 0u64;
            let mut turn = w;
            while Instant::now() < deadline {
                turn += 1;
                let group = &groups[turn % groups.len()];
                let issued = client
                    .post(format!("{base}/api/v1/queue/tickets"))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({"site": hall.get(), "item_group": group}))
                    .send()
                    .await;
                if !issued.is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED) {
                    errors += 1;
                    continue;
                }
                let t = Instant::now();
                let called = client
                    .post(format!("{base}/api/v1/queue/counters/{counter}/call-next"))
                    .header("cookie", &cookie)
                    .send()
                    .await;
                calls.push(t.elapsed());
                let Ok(called) = called else {
                    errors += 1;
                    continue;
                };
                if called.status() != reqwest::StatusCode::OK {
                    continue;
                }
                let Ok(ticket) = called.json::<serde_json::Value>().await else {
                    errors += 1;
                    continue;
                };
                let id = ticket["id"].as_i64().unwrap_or_default();
                let finished = client
                    .post(format!("{base}/api/v1/queue/tickets/{id}/finish"))
                    .header("cookie", &cookie)
                    .send()
                    .await;
                if finished.is_ok_and(|r| r.status() == reqwest::StatusCode::OK) {
                    cycles += 1;
                } else {
                    errors += 1;
                }
            }
            (cycles, errors, calls)
        }));
    }
    let (mut cycles, mut errors, mut calls) = (0, 0, Vec::new());
    for t in tasks {
        let (c, e, mut l) = t.await?;
        cycles += c;
        errors += e;
        calls.append(&mut l);
    }
    calls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| counters | clients | seconds | cycles | cycles/s | call-next p50 (ms) | p99 (ms) | errors |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {counters} | {clients} | {seconds} | {cycles} | {:.0} | {:.2} | {:.2} | {errors} |",
        cycles as f64 / seconds as f64,
        ms(percentile(&calls, 0.5)),
        ms(percentile(&calls, 0.99)),
    );
    app.finish().await;
    Ok(())
}

/// The booking contention case: `requests` bookings of one slot of capacity `capacity` by
/// distinct people, `clients` at a time, over HTTP against SQLite (staff booking by phone, so
/// every request also finds or registers the person). Reports requests per second, latency,
/// and how many were booked (must equal the capacity).
pub async fn booking(requests: usize, clients: usize, capacity: i32) -> anyhow::Result<()> {
    let app = BenchApp::start("bench-booking", clients).await?;
    let hall = app.hall().await?;
    let unit = zhengwu_store::org::get_unit(app.db.conn(), hall).await?;
    let item = zhengwu_store::catalog::published_items(app.db.conn())
        .await?
        .into_iter()
        .find(|i| i.bookable && i.halls.contains(&unit.code))
        .context("no bookable item in the hall")?;
    let group = zhengwu_store::booking::group_for_item(app.db.conn(), &unit, &item).await?;
    let tx = app.db.begin_write().await?;
    zhengwu_store::booking::set_rule(
        &tx,
        &group,
        zhengwu_store::booking::RuleSettings::defaults(capacity),
        &zhengwu_store::audit::Actor::system("bench"),
    )
    .await?;
    tx.commit().await?;
    let rule = zhengwu_store::booking::rule_of(app.db.conn(), &group).await?;
    let now = chrono::Utc::now();
    let today = zhengwu_core::booking::local_date_minute(now).0;
    let calendar = zhengwu_store::calendar::load(app.db.conn()).await?;
    let days = zhengwu_store::booking::availability(
        app.db.conn(),
        &rule,
        &calendar,
        today,
        today + chrono::Duration::days(13),
        now,
    )
    .await?;
    let at = days
        .iter()
        .flat_map(|d| d.slots.iter())
        .find(|s| s.available == capacity)
        .context("no free slot in two weeks")?
        .starts_at;
    let people: Vec<String> = (0..requests)
        .map(|i| {
            let first17 = format!(
                "210203{}{:03}",
                19_700_101 + (i / 900) as u32,
                i % 900 + 100
            );
            let check = zhengwu_core::ident::ric_check_char(first17.as_bytes()).unwrap_or('0');
            format!("{first17}{check}")
        })
        .collect();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let people = std::sync::Arc::new(people);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, cookie) = (app.client.clone(), app.base.clone(), app.cookie.clone());
        let (next, people, item) = (next.clone(), people.clone(), item.code.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut booked, mut full, mut errors) = (Vec::new(), 0u64, 0u64, 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(id_number) = people.get(i) else { break };
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/booking/appointments"))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({"site": hall.get(), "item": item, "starts_at": at,
                        "person": {"name": format!("压测{i}"), "id_number": id_number, "mobile": format!("137{i:08}")}}))
                    .send()
                    .await;
                lat.push(t.elapsed());
                match res.map(|r| r.status()) {
                    Ok(reqwest::StatusCode::CREATED) => booked += 1,
                    Ok(reqwest::StatusCode::UNPROCESSABLE_ENTITY) => full += 1,
                    _ => errors += 1,
                }
            }
            (lat, booked, full, errors)
        }));
    }
    let (mut lat, mut booked, mut full, mut errors) = (Vec::new(), 0, 0, 0);
    for t in tasks {
        let (mut l, b, f, e) = t.await?;
        lat.append(&mut l);
        booked += b;
        full += f;
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| requests | clients | capacity | booked | refused (full) | errors | requests/s | p50 (ms) | p99 (ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {requests} | {clients} | {capacity} | {booked} | {full} | {errors} | {:.0} | {:.2} | {:.2} |",
        requests as f64 / secs,
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
    );
    app.finish().await;
    anyhow::ensure!(
        booked == capacity as u64,
        "booked {booked}, capacity {capacity}"
    );
    Ok(())
}

/// Intake to dispatch under load: each client takes an appeal in (as the hotline operator)
/// and dispatches it at once to its topic's lead unit, over HTTP, on a database that already
/// holds `existing` generated appeals. Reports appeals per second and p50/p99 of the intake,
/// of the dispatch and of the two together.
pub async fn appeals(count: usize, clients: usize, existing: u64) -> anyhow::Result<()> {
    use zhengwu_store::demo::appeals_gen::{GenOptions, generate_appeals};
    let app = BenchApp::start("bench-appeals", clients).await?;
    if existing > 0 {
        let now = chrono::Utc::now();
        let (from, to) = GenOptions::last_year(now);
        let t = Instant::now();
        generate_appeals(
            &app.db,
            GenOptions {
                count: existing,
                from,
                to,
                seed: 7,
                now,
            },
            |_| {},
        )
        .await?;
        eprintln!(
            "{existing} existing appeals made in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    // The topic leaves with their lead unit's id.
    let topics = zhengwu_store::appeals::topics(app.db.conn()).await?;
    let mut routes = Vec::new();
    for t in topics.iter().filter(|t| t.level == 3) {
        if let Some(lead) = &t.lead
            && let Some(u) = zhengwu_store::org::find_by_code(app.db.conn(), lead).await?
        {
            routes.push((
                t.code.clone(),
                t.kind.clone().unwrap_or_else(|| "complaint".into()),
                u.id.get(),
            ));
        }
    }
    anyhow::ensure!(!routes.is_empty(), "no topic with a lead unit");
    let routes = std::sync::Arc::new(routes);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, cookie) = (app.client.clone(), app.base.clone(), app.cookie.clone());
        let (next, routes) = (next.clone(), routes.clone());
        tasks.push(tokio::spawn(async move {
            let (mut intake, mut dispatch, mut both, mut errors) =
                (Vec::new(), Vec::new(), Vec::new(), 0u64);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let (topic, kind, lead) = &routes[i % routes.len()];
                let t0 = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/appeals"))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({"kind": kind, "topic": topic,
                        "content": format!("压测诉求 {i}：小区门口夜间噪音扰民，请尽快处理。"),
                        "caller_mobile": format!("139{:08}", i % 100_000_000)}))
                    .send()
                    .await;
                let id = match res {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => r
                        .json::<serde_json::Value>()
                        .await
                        .ok()
                        .and_then(|v| v["id"].as_i64()),
                    _ => None,
                };
                let t1 = Instant::now();
                intake.push(t1 - t0);
                let Some(id) = id else {
                    errors += 1;
                    continue;
                };
                let res = client
                    .post(format!("{base}/api/v1/appeals/{id}/dispatch"))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({"lead": lead}))
                    .send()
                    .await;
                let t2 = Instant::now();
                dispatch.push(t2 - t1);
                both.push(t2 - t0);
                if !matches!(res.map(|r| r.status()), Ok(reqwest::StatusCode::OK)) {
                    errors += 1;
                }
            }
            (intake, dispatch, both, errors)
        }));
    }
    let (mut intake, mut dispatch, mut both, mut errors) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (mut a, mut b, mut c, e) = t.await?;
        intake.append(&mut a);
        dispatch.append(&mut b);
        both.append(&mut c);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    for v in [&mut intake, &mut dispatch, &mut both] {
        v.sort();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "| appeals | clients | existing | errors | appeals/s | intake p50 / p99 (ms) | dispatch p50 / p99 (ms) | intake→dispatch p50 / p99 (ms) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {count} | {clients} | {existing} | {errors} | {:.0} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} |",
        count as f64 / secs,
        ms(percentile(&intake, 0.5)),
        ms(percentile(&intake, 0.99)),
        ms(percentile(&dispatch, 0.5)),
        ms(percentile(&dispatch, 0.99)),
        ms(percentile(&both, 0.5)),
        ms(percentile(&both, 0.99)),
    );
    app.finish().await;
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

/// A small deterministic generator (SplitMix64) for the simulations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Exponentially distributed with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.next()).ln()
    }
}

/// Simulates a working day at the public service hall on a fresh database: `tickets` walk-ins
/// arriving 9:00–17:00 (twice as dense 9:30–11:00 and 14:00–15:30), `counters` counters, each
/// service taking an exponential time with mean 6 minutes (at least 1). Every ticket gets the
/// estimate its holder's page shows (`queue::estimate_wait`) when it is issued; the error is
/// that estimate against the wait it then had (call − join).
pub async fn queue_wait(counters: usize, tickets: usize, seed: u64) -> anyhow::Result<()> {
    use chrono::{TimeZone, Utc};
    use zhengwu_store::queue;
    let t = zhengwu_store::testing::fresh_sqlite().await;
    t.db.migrate().await?;
    zhengwu_store::demo::load(&t.db).await?;
    let db = &t.db;
    let hall = zhengwu_store::org::find_by_code(db.conn(), "H-PUB")
        .await?
        .context("no hall H-PUB")?
        .id;
    let mut rng = Rng(seed);
    // Arrival times in minutes after 9:00, denser at the two peaks.
    let mut arrivals = Vec::with_capacity(tickets);
    while arrivals.len() < tickets {
        let m = rng.next() * 480.0;
        let peak = (30.0..120.0).contains(&m) || (300.0..390.0).contains(&m);
        if peak || rng.next() < 0.5 {
            arrivals.push(m);
        }
    }
    arrivals.sort_by(f64::total_cmp);
    let day = Utc
        .with_ymd_and_hms(2026, 11, 24, 1, 0, 0)
        .single()
        .context("date")?;
    let at = |m: f64| day + chrono::Duration::milliseconds((m * 60_000.0) as i64);
    let tx = db.begin_write().await?;
    let mut ids = Vec::new();
    for i in 0..counters {
        let c = queue::add_counter(&tx, hall, &format!("模拟窗口{i}"), &[]).await?;
        queue::set_open(&tx, c.id, true, "sim").await?;
        ids.push(c.id);
    }
    tx.commit().await?;
    // Each counter is free from this minute, serving this ticket until then.
    let mut free_at: Vec<(f64, Option<i64>)> = vec![(0.0, None); counters];
    let mut estimates: std::collections::HashMap<i64, f64> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    let mut waits = Vec::new();
    let mut next = 0;
    loop {
        // The next event: an arrival, or the earliest counter becoming free.
        let (ci, free) = free_at
            .iter()
            .enumerate()
            .map(|(i, (f, _))| (i, *f))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f64::MAX));
        if next < arrivals.len() && arrivals[next] <= free {
            let m = arrivals[next];
            next += 1;
            let tx = db.begin_write().await?;
            let tk = queue::issue(&tx, hall, "A", queue::PRIORITY_WALK_IN, at(m), "sim").await?;
            let (_, est) = queue::estimate_wait(&tx, &tk).await?;
            tx.commit().await?;
            estimates.insert(tk.id, est);
            continue;
        }
        let tx = db.begin_write().await?;
        if let Some(done) = free_at[ci].1.take() {
            queue::finish(&tx, done, "done", at(free), "sim").await?;
        }
        let called = queue::call_next(&tx, ids[ci], at(free), "sim").await?;
        tx.commit().await?;
        match called {
            Some(tk) => {
                let waited = (tk.called_at.unwrap_or(tk.joined_at) - tk.joined_at)
                    .num_milliseconds() as f64
                    / 60_000.0;
                if let Some(e) = estimates.get(&tk.id) {
                    errors.push((e - waited).abs());
                    waits.push(waited);
                }
                free_at[ci] = (free + rng.exp(6.0).max(1.0), Some(tk.id));
            }
            None if next < arrivals.len() => {
                // Idle until the next arrival.
                free_at[ci].0 = arrivals[next];
            }
            None => {
                free_at[ci].0 = f64::MAX;
                if free_at.iter().all(|(f, _)| *f == f64::MAX) {
                    break;
                }
            }
        }
    }
    let mae = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    let mut sorted = errors.clone();
    sorted.sort_by(f64::total_cmp);
    let p90 = sorted
        .get(((sorted.len() as f64 - 1.0) * 0.9) as usize)
        .copied()
        .unwrap_or_default();
    let mean_wait = waits.iter().sum::<f64>() / waits.len().max(1) as f64;
    println!(
        "| counters | tickets | mean service | mean wait (min) | MAE (min) | p90 error (min) |"
    );
    println!("|---|---|---|---|---|---|");
    println!(
        "| {counters} | {} | 6 min | {mean_wait:.1} | {mae:.2} | {p90:.2} |",
        errors.len()
    );
    Ok(())
}
