//! The command line: clap definitions, dispatch and the exit-code policy.
//!
//! Every listing takes `--json` and then prints one JSON object per line.
//! Exit codes: 0 success, 1 runtime failure, 2 bad usage or invalid configuration.

mod alerts;
mod articles;
mod check;
mod demo;
mod feeds;
mod output;
mod replay;
mod run;
mod tag;

use crate::config::{Config, ConfigError, DEFAULT_PATH};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "steppewatch",
    version,
    about = "Watches Central Asian news feeds, tags articles and sends watchlist alerts"
)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "STEPPEWATCH_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll, process, alert, serve HTTP.
    Run {
        /// Poll every feed once, deliver due alerts, then exit.
        #[arg(long)]
        once: bool,
    },
    /// Validate the configuration and print a summary.
    Check,
    /// Feeds and their health.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Stored articles.
    #[command(subcommand)]
    Articles(ArticlesCommand),
    /// Full-text search over stored articles.
    Search {
        /// Words to find; "quoted phrases" and prefix* work.
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Tags (countries, regions, topics) for a text.
    Tag(TextInput),
    /// Watchlists.
    #[command(subcommand)]
    Watch(WatchCommand),
    /// Run the watchlists over stored articles.
    Replay {
        /// How far back: a duration such as 30d, or an RFC 3339 time or date.
        #[arg(long, default_value = "30d")]
        since: String,
        /// Only this watchlist.
        #[arg(long)]
        watchlist: Option<String>,
        /// List what would match; queue nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// The alert outbox.
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// See it work offline: bundled sample feeds and a webhook sink on
    /// 127.0.0.1, the real daemon between them, alerts printed here.
    Demo {
        /// Poll the sample feeds once, print the alerts, exit.
        #[arg(long)]
        once: bool,
        /// Keep the demo's configuration and database in this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Feeds with health: last status, last error, next poll.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Fetch and parse one URL (or discover its feed) and show the items.
    Test {
        url: String,
        #[arg(long)]
        json: bool,
    },
    /// Add the feeds of an OPML file to the configuration file.
    Import {
        file: PathBuf,
        /// Print the [[feed]] tables instead of writing them.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the configured feeds as OPML.
    Export,
}

#[derive(Debug, Subcommand)]
pub enum ArticlesCommand {
    /// Stored articles, newest first.
    List(ArticleListArgs),
}

#[derive(Debug, Args)]
pub struct ArticleListArgs {
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,
    #[arg(long)]
    pub region: Option<String>,
    #[arg(long)]
    pub topic: Option<String>,
    #[arg(long)]
    pub watchlist: Option<String>,
    /// Only articles from this feed (its name).
    #[arg(long)]
    pub feed: Option<String>,
    /// Only articles from outlets publishing in this country (the feed's
    /// `country`), whatever they are about.
    #[arg(long, value_name = "CC")]
    pub source_country: Option<String>,
    /// Only articles of this story (the `story` id of `--json`).
    #[arg(long)]
    pub story: Option<i64>,
    /// A duration such as 7d, or an RFC 3339 time or date.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum WatchCommand {
    /// Which watchlists match a text, with terms and snippets.
    Test(TextInput),
}

#[derive(Debug, Args)]
pub struct TextInput {
    /// A text file (first line is the title), or - for standard input.
    #[arg(default_value = "-")]
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// The alert outbox, newest first.
    List {
        #[arg(long, value_parser = ["pending", "delivered", "failed"])]
        status: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Queue alerts for delivery again.
    Retry {
        /// The alert id.
        id: Option<i64>,
        /// Every failed alert.
        #[arg(long, conflicts_with = "id")]
        failed: bool,
    },
}

/// A failure with its exit code: 2 for configuration and usage, 1 for the rest.
#[derive(Debug)]
pub enum CliError {
    Usage(String),
    Config(ConfigError),
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> CliError {
        match e.downcast::<ConfigError>() {
            Ok(c) => CliError::Config(c),
            Err(e) => CliError::Runtime(e),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> CliError {
        CliError::Config(e)
    }
}

impl CliError {
    /// Prints the error to stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            CliError::Usage(msg) => {
                eprintln!("steppewatch: {msg}");
                ExitCode::from(2)
            }
            CliError::Config(e) => {
                for line in &e.problems {
                    eprintln!("{line}");
                }
                ExitCode::from(2)
            }
            CliError::Runtime(e) => {
                eprintln!("steppewatch: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

pub type CliResult = Result<(), CliError>;

/// Runs one command.
///
/// # Errors
/// Whatever the command failed with, classified for the exit code.
pub fn run(cli: Cli) -> CliResult {
    let path = config_path(cli.config.as_deref());
    match cli.command {
        Command::Run { once } => run::run(&path, once),
        Command::Check => check::check(&path),
        Command::Feeds(FeedsCommand::List { json }) => feeds::list(&path, json),
        Command::Feeds(FeedsCommand::Test { url, json }) => feeds::test(&path, &url, json),
        Command::Feeds(FeedsCommand::Import { file, dry_run }) => {
            feeds::import(&path, &file, dry_run)
        }
        Command::Feeds(FeedsCommand::Export) => feeds::export(&path),
        Command::Articles(ArticlesCommand::List(args)) => articles::list(&path, &args),
        Command::Search { query, limit, json } => articles::search(&path, &query, limit, json),
        Command::Tag(input) => tag::tag(&path, &input),
        Command::Watch(WatchCommand::Test(input)) => tag::watch_test(&path, &input),
        Command::Replay {
            since,
            watchlist,
            dry_run,
            json,
        } => replay::replay(&path, &since, watchlist.as_deref(), dry_run, json),
        Command::Alerts(AlertsCommand::List {
            status,
            limit,
            json,
        }) => alerts::list(&path, status.as_deref(), limit, json),
        Command::Alerts(AlertsCommand::Retry { id, failed }) => alerts::retry(&path, id, failed),
        Command::Demo { once, dir } => demo::demo(dir.as_deref(), once),
    }
}

/// `--config`, else `STEPPEWATCH_CONFIG` (both via clap), else the default path.
fn config_path(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
}

/// Loads and validates the configuration, logging its warnings.
fn load_config(path: &Path) -> Result<Config, CliError> {
    Ok(Config::load(path)?)
}

/// Opens the configured database, creating its directory when needed.
fn open_store(config: &Config) -> Result<crate::store::Store, CliError> {
    crate::daemon::open_store(config).map_err(CliError::Runtime)
}
