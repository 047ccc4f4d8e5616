//! Cold start and idle memory: starts the `campus` binary on a fresh data directory, polls
//! `/readyz` until it answers 200, then reads the process's resident memory after it has
//! idled a moment.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use clap::Args;

#[derive(Args)]
pub struct Options {
    /// The campus binary to start.
    #[arg(long, default_value = "target/release/campus")]
    binary: PathBuf,
    /// Runs to take the median of.
    #[arg(long, default_value_t = 5)]
    runs: u32,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let mut ready_ms = Vec::new();
    let mut rss_mb = Vec::new();
    for run in 0..options.runs {
        let port = free_port()?;
        let dir =
            std::env::temp_dir().join(format!("campus-bench-start-{}-{run}", std::process::id()));
        let started = Instant::now();
        let mut child = Command::new(&options.binary)
            .args(["serve", "--data-dir"])
            .arg(&dir)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("CAMPUS_LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", options.binary.display()))?;
        let ready = loop {
            if ready(port) {
                break started.elapsed();
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "not ready within 30 s"
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        std::thread::sleep(Duration::from_secs(2));
        let rss = resident_kib(child.id())? as f64 / 1024.0;
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        child.wait()?;
        std::fs::remove_dir_all(&dir).ok();
        ready_ms.push(ready.as_secs_f64() * 1000.0);
        rss_mb.push(rss);
    }
    ready_ms.sort_by(f64::total_cmp);
    rss_mb.sort_by(f64::total_cmp);
    let median = |values: &[f64]| values[values.len() / 2];
    println!(
        "startup: {} runs; cold start to ready: median {:.0} ms (min {:.0}, max {:.0}); idle RSS: median {:.1} MiB",
        options.runs,
        median(&ready_ms),
        ready_ms[0],
        ready_ms[ready_ms.len() - 1],
        median(&rss_mb)
    );
    Ok(())
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    if stream
        .write_all(b"GET /readyz HTTP/1.1\r\nhost: campus\r\nconnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    stream.read_to_string(&mut answer).is_ok() && answer.starts_with("HTTP/1.1 200")
}

pub(crate) fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .context("no VmRSS in /proc status")
}
