//! Configuration text -> `Config` (`Config::from_toml`), and a valid one on
//! to `Engine::build` (watchlist automaton, tagger), as a reload does.
//!
//! Beyond "no panic": a refused configuration names at least one problem,
//! each on its own line beginning with the file name, as `check` prints them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use steppewatch::config::Config;
use steppewatch::engine::Engine;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Secrets may be `file:` references; keep them inside an empty directory.
    let path = Path::new("/nonexistent/steppewatch-fuzz/steppewatch.toml");
    match Config::from_toml(text, path) {
        Ok(config) => {
            let _ = Engine::build(config);
        }
        Err(e) => {
            assert!(!e.problems.is_empty(), "refused without a reason");
            for p in &e.problems {
                assert!(
                    p.starts_with(&path.display().to_string()),
                    "problem without file: {p}"
                );
            }
        }
    }
});
