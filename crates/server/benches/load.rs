//! The server under load: its resident memory and `/api/health` latency
//! at rest, during and after 400 concurrent sign-ins, and while 2,000 idle
//! live streams are open. Figures only, no assertions.
//!
//! `cargo bench -p stigmergy-server --bench load` starts the real server
//! binary (built with the bench profile: optimised, as deployed) on a fresh
//! SQLite file, and on a fresh PostgreSQL database too when
//! `STIGMERGY_TEST_POSTGRES_URL` is set, behind a trusted proxy at
//! 127.0.0.1 (so each stream's `X-Forwarded-For` is its client: a new
//! address every 16 streams, the cap per address) with the sign-up limit
//! raised. It needs about 2 × 2,000 open files (this process and the
//! server): when the soft `ulimit -n` is lower and the hard limit allows,
//! it runs itself again under a raised soft limit; otherwise it says so
//! and opens as many streams as fit.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::Connection;

const ACCOUNTS: usize = 400;
const STREAMS: usize = 2_000;
const STREAMS_PER_ADDRESS: usize = 16;
const PASSWORD: &str = "mending nets by the harbour";
/// Files this process and the server each need beyond the streams.
const SPARE_FILES: u64 = 300;
const RAISED: &str = "STIGMERGY_LOAD_RAISED_LIMIT";

fn main() -> anyhow::Result<()> {
    let streams = open_files_for(STREAMS)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let sqlite = tempfile::tempdir()?;
        let url = format!("sqlite://{}", sqlite.path().join("load.db").display());
        run("SQLite", &url, streams).await?;
        match std::env::var("STIGMERGY_TEST_POSTGRES_URL") {
            Ok(base) => {
                let (url, drop_it) = fresh_postgres(&base).await?;
                let outcome = run("PostgreSQL", &url, streams).await;
                drop_it.await?;
                outcome?;
            }
            Err(_) => println!("\n(STIGMERGY_TEST_POSTGRES_URL is not set: PostgreSQL skipped)"),
        }
        Ok(())
    })
}

/// How many streams the open-file limit allows, raising the soft limit
/// (by running this program again through `sh -c 'ulimit -n …'`) when it
/// is too low and the hard limit permits.
fn open_files_for(streams: usize) -> anyhow::Result<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap_or_default();
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let (soft, hard) = match numbers[..] {
        [soft, hard, ..] => (soft, hard),
        _ => (1024, 1024),
    };
    let wanted = streams as u64 + SPARE_FILES;
    if soft >= wanted {
        println!("open files: soft limit {soft}, hard {hard}: enough for {streams} streams");
        return Ok(streams);
    }
    if hard >= wanted && std::env::var_os(RAISED).is_none() {
        println!("open files: soft limit {soft} is too low; running again with ulimit -n {wanted}");
        use std::os::unix::process::CommandExt;
        let me = std::env::current_exe()?;
        let error = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {wanted} && exec \"$0\" \"$@\""))
            .arg(me)
            .args(std::env::args_os().skip(1))
            .env(RAISED, "1")
            .exec();
        return Err(error.into());
    }
    let fit = soft.saturating_sub(SPARE_FILES) as usize;
    println!(
        "open files: soft limit {soft}, hard {hard}: only {fit} streams fit; raise it \
         (`ulimit -n {wanted}`, or the hard limit in /etc/security/limits.conf) for {streams}"
    );
    Ok(fit)
}

/// A new database on the PostgreSQL server of `base`, and what drops it.
async fn fresh_postgres(
    base: &str,
) -> anyhow::Result<(
    String,
    impl std::future::Future<Output = anyhow::Result<()>>,
)> {
    let name = format!("stigmergy_load_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(base).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let (prefix, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("a database URL ends in /database"))?;
    let url = format!("{prefix}/{name}");
    let drop_it = async move {
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        Ok(())
    };
    Ok((url, drop_it))
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the server binary on `database_url` and reads back where it
/// listens (it picks its own port).
fn start(database_url: &str) -> anyhow::Result<Server> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stigmergy"))
        .env("STIGMERGY_BIND", "127.0.0.1:0")
        .env("STIGMERGY_DATABASE_URL", database_url)
        .env("STIGMERGY_STATIC_DIR", "/nonexistent")
        .env("STIGMERGY_TRUSTED_PROXY", "127.0.0.1")
        .env("STIGMERGY_SIGN_UPS_PER_HOUR", "1000000")
        .env("STIGMERGY_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_once("running at ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .map(|url| url.trim_end_matches('/').to_owned())
        })
        .ok_or_else(|| anyhow::anyhow!("the server did not say where it listens"))?;
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Server { child, url })
}

/// VmRSS and VmHWM of `pid`, in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// What is sampled while a phase runs: `/api/health` one request after
/// another, and the server's resident memory every 50 ms (its peak).
struct Probe {
    stop: Arc<AtomicBool>,
    health: tokio::task::JoinHandle<Vec<Duration>>,
    peak_kib: Arc<AtomicU64>,
    memory: tokio::task::JoinHandle<()>,
}

impl Probe {
    fn start(server: &Server) -> Probe {
        let stop = Arc::new(AtomicBool::new(false));
        let peak_kib = Arc::new(AtomicU64::new(0));
        let health = {
            let (stop, url) = (stop.clone(), format!("{}/api/health", server.url));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    let ok = client
                        .get(&url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    // A failed probe counts as the time it took, flagged by
                    // the count printed beside the figures.
                    latencies.push(if ok { asked.elapsed() } else { Duration::MAX });
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                latencies
            })
        };
        let memory_task = {
            let (stop, peak, pid) = (stop.clone(), peak_kib.clone(), server.child.id());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let (rss, _) = memory(pid);
                    peak.fetch_max((rss * 1024.0) as u64, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        Probe {
            stop,
            health,
            peak_kib,
            memory: memory_task,
        }
    }

    /// Stops sampling and prints the phase's figures.
    async fn report(self, phase: &str, pid: u32) {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = self.health.await.unwrap_or_default();
        let _ = self.memory.await;
        let failed = latencies.iter().filter(|l| **l == Duration::MAX).count();
        latencies.retain(|l| *l != Duration::MAX);
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
                .map_or("-".to_owned(), |d| {
                    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
                })
        };
        let (rss, hwm) = memory(pid);
        println!(
            "  {phase:<34} VmRSS {rss:7.1} MiB (peak sampled {:7.1}), VmHWM {hwm:7.1} MiB | \
             /api/health n={} median {} p95 {} max {}{}",
            self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0,
            latencies.len(),
            at(0.5),
            at(0.95),
            at(1.0),
            if failed > 0 {
                format!(" ({failed} failed)")
            } else {
                String::new()
            }
        );
    }
}

fn forwarded(n: usize) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

async fn run(store: &str, database_url: &str, streams: usize) -> anyhow::Result<()> {
    println!("\n{store}");
    let server = start(database_url)?;
    let pid = server.child.id();
    let client = reqwest::Client::new();

    let probe = Probe::start(&server);
    tokio::time::sleep(Duration::from_secs(2)).await;
    probe.report("at rest", pid).await;

    // The accounts, a few at a time (each sign-up hashes a password).
    let started = Instant::now();
    let register = |n: usize| {
        let (client, url) = (client.clone(), format!("{}/api/auth/register", server.url));
        async move {
            let handle = format!("load-{n}");
            let body = serde_json::json!({
                "handle": handle, "email": format!("{handle}@example.org"), "password": PASSWORD,
            });
            loop {
                let response = client
                    .post(&url)
                    .header("x-stigmergy-csrf", "1")
                    .header("x-forwarded-for", forwarded(n))
                    .json(&body)
                    .send()
                    .await?;
                match response.status().as_u16() {
                    201 => return anyhow::Ok(()),
                    503 => tokio::time::sleep(Duration::from_millis(200)).await,
                    other => anyhow::bail!("registering {handle}: {other}"),
                }
            }
        }
    };
    for batch in (0..ACCOUNTS).collect::<Vec<_>>().chunks(8) {
        futures_util::future::try_join_all(batch.iter().map(|&n| register(n))).await?;
    }
    println!(
        "  ({ACCOUNTS} accounts registered, 8 at a time, in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    let probe = Probe::start(&server);
    tokio::time::sleep(Duration::from_secs(1)).await;
    probe.report("after registering", pid).await;

    // 400 sign-ins at once, each from a client and an address of its own.
    let probe = Probe::start(&server);
    let barrier = Arc::new(tokio::sync::Barrier::new(ACCOUNTS));
    let started = Instant::now();
    let sign_ins: Vec<_> = (0..ACCOUNTS)
        .map(|n| {
            let (barrier, url) = (barrier.clone(), format!("{}/api/auth/login", server.url));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                barrier.wait().await;
                client
                    .post(&url)
                    .header("x-stigmergy-csrf", "1")
                    .header("x-forwarded-for", forwarded(n))
                    .json(&serde_json::json!({"login": format!("load-{n}"), "password": PASSWORD}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for sign_in in sign_ins {
        *statuses.entry(sign_in.await.unwrap_or(0)).or_default() += 1;
    }
    let took = started.elapsed();
    probe
        .report(&format!("during {ACCOUNTS} sign-ins at once"), pid)
        .await;
    println!(
        "  ({ACCOUNTS} sign-ins answered in {:.1} s: {statuses:?} by status, 0 = no answer)",
        took.as_secs_f64()
    );
    let probe = Probe::start(&server);
    tokio::time::sleep(Duration::from_secs(2)).await;
    probe.report("after the sign-ins", pid).await;

    // Idle live streams, a new forwarded address every 16.
    let started = Instant::now();
    let url = format!("{}/api/events", server.url);
    let mut open = Vec::with_capacity(streams);
    let mut refused = 0;
    for batch in (0..streams).collect::<Vec<_>>().chunks(100) {
        let opened = futures_util::future::join_all(batch.iter().map(|&n| {
            client
                .get(&url)
                .header(
                    "x-forwarded-for",
                    forwarded(100_000 + n / STREAMS_PER_ADDRESS),
                )
                .send()
        }))
        .await;
        for response in opened {
            match response {
                Ok(r) if r.status() == 200 => open.push(r),
                _ => refused += 1,
            }
        }
    }
    println!(
        "  ({} streams open in {:.1} s, {refused} refused or failed)",
        open.len(),
        started.elapsed().as_secs_f64()
    );
    let probe = Probe::start(&server);
    tokio::time::sleep(Duration::from_secs(5)).await;
    probe
        .report(&format!("with {} idle streams", open.len()), pid)
        .await;
    drop(open);
    let probe = Probe::start(&server);
    tokio::time::sleep(Duration::from_secs(2)).await;
    probe.report("after closing the streams", pid).await;
    Ok(())
}
