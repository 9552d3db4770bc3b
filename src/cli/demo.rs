//! `steppewatch demo [--once] [--dir DIR]`: the whole pipeline against the
//! bundled sample feeds, offline; alerts are printed on stdout.

use super::{CliError, CliResult};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Runs the demo in `dir` (kept afterwards), or in a temporary directory
/// removed at exit.
pub fn demo(dir: Option<&Path>, once: bool) -> CliResult {
    let scratch = Scratch::new(dir).map_err(|e| {
        CliError::Runtime(anyhow::anyhow!("unable to create the demo directory: {e}"))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    let web = if once {
        None
    } else {
        Some(crate::demo::free_loopback_port().map_err(|e| CliError::Runtime(e.into()))?)
    };
    banner(&scratch.path, web, once);
    let printer: crate::demo::Printer = Arc::new(|block: String| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{block}");
        let _ = out.flush();
    });
    let report = runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        let signalled = crate::daemon::termination();
        tokio::spawn(async move {
            signalled.await;
            trigger.cancel();
        });
        crate::demo::run(&scratch.path, web, once, printer, shutdown).await
    })?;
    println!("\n{} alerts received by the demo sink.", report.alerts);
    if scratch.keep {
        let config = scratch.path.join("steppewatch.toml");
        println!("Explore what was stored:");
        println!("  steppewatch --config {} articles list", config.display());
        println!("  steppewatch --config {} alerts list", config.display());
        println!("  steppewatch --config {} search Caspian", config.display());
    }
    Ok(())
}

fn banner(dir: &Path, web: Option<std::net::SocketAddr>, once: bool) {
    println!(
        "steppewatch demo: {} sample feeds (24 articles in English, Russian, Kazakh, Kyrgyz,",
        crate::demo::FEEDS.len()
    );
    println!("Tajik, Uzbek and Chinese) served on 127.0.0.1; alerts go to a local webhook sink");
    println!(
        "that prints each one below. Working directory: {}",
        dir.display()
    );
    match web {
        Some(addr) => println!(
            "Web page: http://{addr}/   Metrics: http://{addr}/metrics   Stop with Ctrl-C.\n"
        ),
        None if once => println!("Polling every feed once, then exiting.\n"),
        None => println!(),
    }
}

/// The demo's working directory: the one given (kept), else a new one under
/// the system temporary directory (removed on drop).
struct Scratch {
    path: PathBuf,
    keep: bool,
}

impl Scratch {
    fn new(given: Option<&Path>) -> std::io::Result<Scratch> {
        if let Some(dir) = given {
            std::fs::create_dir_all(dir)?;
            return Ok(Scratch {
                path: std::path::absolute(dir)?,
                keep: true,
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("steppewatch-demo-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&path)?;
        Ok(Scratch { path, keep: false })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
