//! The systemd notification protocol (`sd_notify`): readiness, reload,
//! stopping, status text and watchdog pings, sent as datagrams to the socket
//! named by `$NOTIFY_SOCKET`. Every call is a no-op when that is unset, so the
//! daemon behaves the same under systemd, in a terminal and in tests.
//!
//! Written by hand rather than with a crate: the protocol is one
//! `sendto(2)` of `KEY=VALUE` lines on a Unix datagram socket (a filesystem
//! path, or an abstract name written with a leading `@`), which `std` covers,
//! and the crates add nothing we use (no fd store, no socket activation).
//! See `sd_notify(3)` and systemd's "Notify socket" protocol description.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// The variable systemd sets for `Type=notify` services.
const SOCKET_VAR: &str = "NOTIFY_SOCKET";

/// Why a notification could not be sent. The daemon logs it and carries on:
/// a lost notification must never stop the service from working.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("sd_notify: unable to reach {socket}: {source}")]
    Send {
        socket: String,
        source: std::io::Error,
    },
    #[error("sd_notify: {socket}: {source}")]
    Address {
        socket: String,
        source: std::io::Error,
    },
}

/// Tells systemd start-up (or a reload) is complete: the database is open and
/// the HTTP port is bound.
pub fn ready() {
    send_logged("READY=1");
}

/// Tells systemd the service is beginning its shutdown.
pub fn stopping() {
    send_logged("STOPPING=1");
}

/// Tells systemd a configuration reload has begun; `ready` ends it.
///
/// With `Type=notify` and `ExecReload=kill -HUP` (what systemd 252, Debian 12's
/// version, offers) a plain `RELOADING=1` is all systemd reads; the
/// `MONOTONIC_USEC` field belongs to `Type=notify-reload` (systemd 253+), which
/// the shipped unit does not use.
pub fn reloading() {
    send_logged("RELOADING=1");
}

/// Keep-alive for `WatchdogSec=`: systemd restarts the service when these stop.
pub fn watchdog() {
    send_logged("WATCHDOG=1");
}

/// A one-line status shown by `systemctl status`. Newlines become spaces,
/// since each line of a notification is a separate assignment.
pub fn status(text: &str) {
    send_logged(&format!("STATUS={}", text.replace('\n', " ")));
}

/// How often systemd expects a watchdog ping, when this process is the one
/// it watches (`WATCHDOG_USEC` set and `WATCHDOG_PID`, if set, is our pid).
/// Pings should be sent at half this interval.
pub fn watchdog_interval() -> Option<Duration> {
    watchdog_interval_from(
        std::env::var("WATCHDOG_USEC").ok().as_deref(),
        std::env::var("WATCHDOG_PID").ok().as_deref(),
        std::process::id(),
    )
}

/// [`watchdog_interval`] over given values, for tests.
fn watchdog_interval_from(usec: Option<&str>, pid: Option<&str>, own_pid: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    match pid {
        Some(pid) if pid.trim().parse::<u32>().ok() != Some(own_pid) => None,
        _ => Some(Duration::from_micros(usec)),
    }
}

/// Sends `state` and logs a failure at debug level only: outside systemd a
/// missing socket is normal, and under systemd a failure here is followed by
/// systemd's own, clearer complaint (timeout, watchdog).
fn send_logged(state: &str) {
    if let Err(e) = notify(state) {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}

/// Sends one notification to `$NOTIFY_SOCKET`; `Ok(false)` when it is unset.
///
/// # Errors
/// The socket address is invalid or the datagram cannot be sent.
pub fn notify(state: &str) -> Result<bool, NotifyError> {
    match std::env::var(SOCKET_VAR) {
        Ok(socket) if !socket.is_empty() => send_to(&socket, state).map(|()| true),
        _ => Ok(false),
    }
}

/// Sends `state` to the socket written as systemd writes it: a path, or
/// `@name` for an abstract socket.
///
/// The send never blocks: callers run on the async runtime, and a receiver
/// that stops reading (its queue holds only `net.unix.max_dgram_qlen`
/// datagrams, 10 by default) would otherwise park a runtime worker for good
/// and wedge the daemon. A notification that finds the queue full is dropped
/// with an error; the next watchdog ping follows anyway.
///
/// # Errors
/// The address is invalid, or the datagram cannot be sent (including a full
/// receive queue).
pub fn send_to(socket: &str, state: &str) -> Result<(), NotifyError> {
    let sock = UnixDatagram::unbound()
        .and_then(|sock| sock.set_nonblocking(true).map(|()| sock))
        .map_err(|source| NotifyError::Send {
            socket: socket.to_owned(),
            source,
        })?;
    let sent = match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .map_err(|source| NotifyError::Address {
                    socket: socket.to_owned(),
                    source,
                })?;
            sock.send_to_addr(state.as_bytes(), &addr)
        }
        None => sock.send_to(state.as_bytes(), socket),
    };
    sent.map(drop).map_err(|source| NotifyError::Send {
        socket: socket.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_socket_receives_the_datagram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let rx = UnixDatagram::bind(&path).unwrap();
        send_to(path.to_str().unwrap(), "READY=1\nSTATUS=up").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=up");
    }

    #[test]
    fn abstract_socket_receives_the_datagram() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("steppewatch-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&addr).unwrap();
        send_to(&format!("@{name}"), "WATCHDOG=1").unwrap();
        let mut buf = [0u8; 64];
        let n = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
    }

    /// A receiver that never reads once wedged the daemon: the blocking
    /// send parked a runtime worker when the queue was full.
    // See: issue 10, found by tests/faults.rs (panic isolation with a watchdog)
    #[test]
    fn issue10_a_receiver_that_stops_reading_never_blocks_the_sender() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let _rx = UnixDatagram::bind(&path).unwrap();
        let socket = path.to_str().unwrap().to_owned();
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let results: Vec<bool> = (0..100)
                .map(|_| send_to(&socket, "WATCHDOG=1").is_ok())
                .collect();
            let _ = done.send(results);
        });
        let results = finished
            .recv_timeout(Duration::from_secs(10))
            .expect("100 sends to a full queue return instead of blocking");
        assert!(results[0], "the first pings are queued");
        assert!(
            results.iter().any(|ok| !ok),
            "a full queue is reported, not waited for"
        );
    }

    #[test]
    fn missing_socket_is_an_error_naming_it() {
        let err = send_to("/nonexistent/notify.sock", "READY=1").unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/notify.sock"),
            "{err}"
        );
    }

    #[test]
    fn watchdog_interval_needs_usec_and_our_pid() {
        let us = Some(Duration::from_secs(30));
        assert_eq!(watchdog_interval_from(Some("30000000"), None, 7), us);
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("7"), 7), us);
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval_from(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval_from(Some("soon"), None, 7), None);
        assert_eq!(watchdog_interval_from(None, Some("7"), 7), None);
    }
}
