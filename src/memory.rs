//! Gives the heap that a burst of work freed back to the kernel once the
//! daemon goes idle, so resident memory between polls is what the daemon
//! holds rather than what its last busy moment needed.
//!
//! glibc keeps freed memory inside its heap for reuse and returns only the
//! top of the heap on its own. Building the tagger's automaton and parsing a
//! round of 200 feeds leave about 10 MB of free pages in the middle of it
//! (scripts/measure-idle.sh: 48 MB resident between polls before, 38 MB after
//! `malloc_trim`). `malloc_trim(0)` hands whole free pages back to the kernel
//! (`madvise`) and leaves every allocation where it is.

use std::time::Duration;

/// A sleep at least this long ahead of the scheduler, with no poll running,
/// counts as idle. Shorter gaps come back to work before the pages would be
/// missed, and trimming between them would only cost page faults.
pub const IDLE_AFTER: Duration = Duration::from_secs(5);

/// Returns free heap pages to the kernel. A no-op off glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: `malloc_trim` takes no pointers from us and takes glibc's own
    // arena locks; glibc documents it as safe to call from any thread at any time.
    unsafe {
        malloc_trim(0);
    }
}

/// Returns free heap pages to the kernel. A no-op off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free() {}

/// Malloc arenas the daemon's threads share. glibc gives each thread that
/// meets a locked arena one of its own, up to eight per core, and every arena
/// keeps its own free pages: with a pool of blocking threads that is 18-27 MB
/// of a cold run's peak (docs/performance.md). One rather than two (the writer
/// and the preparing thread each had one): cold ingest bench peak RSS 35.0 ->
/// 33.9 MiB, CPU time within the noise (4.3 s and 4.1-4.6 s).
pub const MALLOC_ARENAS: i32 = 1;

/// Allocations at least this large get pages of their own from the kernel
/// (`mmap`) and give them back when freed. glibc's default starts at 128 KiB
/// and rises to the largest block freed so far (up to 32 MiB), so after the
/// first feed bodies and HTTP read buffers (100-400 KB each) were freed, later
/// ones came from the heap and left holes that the run's peak kept resident.
/// A fixed 64 KiB: cold ingest bench peak RSS 52.3 -> 44.0 MiB on its own
/// (MALLOC_MMAP_THRESHOLD_=65536 on main 8c06f55's build; 128 KiB: 48.0 MiB),
/// at the cost of an `mmap`/`munmap` pair per large block (feed bodies,
/// decoded text, buffers: a few thousand per cold run).
pub const MMAP_THRESHOLD: i32 = 64 * 1024;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`] (as `MALLOC_ARENA_MAX`
/// would) and fixes the mmap threshold at [`MMAP_THRESHOLD`] (as
/// `MALLOC_MMAP_THRESHOLD_` would), each unless the environment sets it
/// itself. Call before the runtime starts its threads. A no-op off glibc.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn tune_malloc() {
    unsafe extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    /// glibc's `M_ARENA_MAX` and `M_MMAP_THRESHOLD` (malloc.h).
    const M_ARENA_MAX: std::ffi::c_int = -8;
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    let settings = [
        ("MALLOC_ARENA_MAX", M_ARENA_MAX, MALLOC_ARENAS),
        ("MALLOC_MMAP_THRESHOLD_", M_MMAP_THRESHOLD, MMAP_THRESHOLD),
    ];
    for (variable, param, value) in settings {
        if std::env::var_os(variable).is_some() {
            continue;
        }
        // SAFETY: `mallopt` takes plain integers and its own locks; glibc
        // documents changing these parameters at any time as safe.
        unsafe {
            mallopt(param, value);
        }
    }
}

/// Tunes glibc's malloc. A no-op off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_malloc() {}

/// Trims once each time the daemon becomes idle, not on every pass of an
/// idle scheduler.
#[derive(Debug, Default)]
pub struct IdleTrim {
    trimmed: bool,
}

impl IdleTrim {
    /// One scheduler pass: `busy` while polls are in flight, `wait` the sleep
    /// ahead. On becoming idle it runs `release` (caches that hand their
    /// memory back to the allocator, such as SQLite's) and then gives the free
    /// pages to the kernel. Returns whether it trimmed now.
    pub fn pass(&mut self, busy: bool, wait: Duration, release: impl FnOnce()) -> bool {
        if busy {
            self.trimmed = false;
            return false;
        }
        if self.trimmed || wait < IDLE_AFTER {
            return false;
        }
        release();
        release_free();
        self.trimmed = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_once_per_idle_stretch() {
        let mut trim = IdleTrim::default();
        let long = IDLE_AFTER * 2;
        let released = std::cell::Cell::new(0);
        let release = || released.set(released.get() + 1);
        assert!(!trim.pass(true, long, release), "not while polls run");
        assert!(
            !trim.pass(false, IDLE_AFTER / 2, release),
            "not before a short sleep"
        );
        assert_eq!(released.get(), 0);
        assert!(trim.pass(false, long, release), "once idle");
        assert_eq!(released.get(), 1, "caches released with the trim");
        assert!(
            !trim.pass(false, long, release),
            "not again while still idle"
        );
        assert!(!trim.pass(true, long, release));
        assert!(
            trim.pass(false, long, release),
            "again after the next busy spell"
        );
        assert_eq!(released.get(), 2);
    }
}
