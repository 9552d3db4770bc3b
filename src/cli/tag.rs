//! `steppewatch tag` and `steppewatch watch test`: the daemon's own tagger and
//! matcher over a text from a file or standard input.

use super::{CliError, CliResult, TextInput, output};
use crate::engine::Engine;
use crate::model::ArticleText;
use std::io::Read;
use std::path::Path;

/// A text split as the tools read it: the first non-empty line is the title,
/// the rest the body.
struct Input {
    title: String,
    body: String,
}

impl Input {
    fn read(file: &Path) -> Result<Input, CliError> {
        let mut text = String::new();
        let read = if file == Path::new("-") {
            std::io::stdin().read_to_string(&mut text).map(|_| ())
        } else {
            std::fs::read_to_string(file).map(|t| text = t)
        };
        read.map_err(|e| {
            CliError::Runtime(anyhow::anyhow!("unable to read {}: {e}", file.display()))
        })?;
        let text = text.trim_start();
        let (title, body) = text.split_once('\n').unwrap_or((text, ""));
        Ok(Input {
            title: title.trim().to_string(),
            body: body.trim().to_string(),
        })
    }

    fn text(&self) -> ArticleText<'_> {
        ArticleText {
            title: &self.title,
            summary: "",
            body: &self.body,
        }
    }
}

pub fn tag(path: &Path, input: &TextInput) -> CliResult {
    let engine = Engine::load(path)?;
    let text = Input::read(&input.file)?;
    let tags = engine.tagger.tag(text.text());
    if input.json {
        return output::json_lines([&tags]);
    }
    output::line(&format!("countries: {}", tags.countries.join(", ")));
    output::line(&format!("regions:   {}", tags.regions.join(", ")));
    output::line(&format!("topics:    {}", tags.topics.join(", ")));
    Ok(())
}

pub fn watch_test(path: &Path, input: &TextInput) -> CliResult {
    let engine = Engine::load(path)?;
    let text = Input::read(&input.file)?;
    let (tags, matches) = engine.analyse(text.text(), "");
    if input.json {
        return output::json_lines(&matches);
    }
    output::line(&format!(
        "tags: {} | {} | {}",
        tags.countries.join(","),
        tags.regions.join(","),
        tags.topics.join(",")
    ));
    if matches.is_empty() {
        output::line("no watchlist matches");
    }
    for m in &matches {
        output::line(&format!("{}:", m.watchlist));
        for t in &m.matches {
            output::line(&format!("  {:<24} {}", t.term, t.snippet));
        }
    }
    Ok(())
}
