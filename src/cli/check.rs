//! `steppewatch check`: validate the configuration and print a summary.

use super::{CliResult, output};
use crate::engine::Engine;
use std::path::Path;

pub fn check(path: &Path) -> CliResult {
    let engine = Engine::load(path)?;
    output::line(&engine.config.summary());
    Ok(())
}
