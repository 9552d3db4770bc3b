//! Request guards every route shares: the Host check against DNS rebinding and
//! the security headers on every response.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// The page needs only its own stylesheet, its own images and its own forms;
/// no script runs at all, so an injected `<script>` or `onerror=` is inert even
/// if escaping were ever missed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to every response, including errors and refusals.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Refuses requests whose Host is not ours with 421 Misdirected Request.
///
/// A DNS-rebinding page reaches us under the attacker's host name, which is
/// neither our address nor a configured name, so it never gets an answer.
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    match host {
        Some(h) if host_allowed(&h, state.listen, &state.allowed_hosts) => next.run(req).await,
        other => {
            // Debug, not warn: a hostile page could otherwise flood the journal.
            tracing::debug!(
                host = other.as_deref().unwrap_or(""),
                "HTTP request refused: unknown Host"
            );
            let text = "unknown Host header; add the name to [http] hosts to serve it";
            (StatusCode::MISDIRECTED_REQUEST, text).into_response()
        }
    }
}

/// Whether `host` (a Host header: `name`, `name:port`, `[v6]:port`) names this server.
///
/// Accepted: `localhost` or a loopback IP on the bound port; the bound IP on the
/// bound port (any IP literal when bound to an unspecified address, since a
/// rebinding attack needs a host *name*); a configured name, on any port when
/// the entry has none, else on that port.
pub fn host_allowed(host: &str, listen: SocketAddr, configured: &[String]) -> bool {
    let Some((name, port)) = split_host(host) else {
        return false;
    };
    let on_our_port = port.unwrap_or(80) == listen.port();
    let ours = match name.parse::<IpAddr>() {
        Ok(ip) => {
            let ip = ip.to_canonical();
            ip.is_loopback() || ip == listen.ip().to_canonical() || listen.ip().is_unspecified()
        }
        Err(_) => name == "localhost",
    };
    if ours && on_our_port {
        return true;
    }
    configured.iter().any(|entry| match split_host(entry) {
        Some((n, None)) => n == name,
        Some((n, Some(p))) => n == name && Some(p) == port,
        None => false,
    })
}

/// Splits a Host value into a lowercase name (brackets removed from IPv6,
/// a final dot removed) and its port, if any; `None` when malformed.
fn split_host(host: &str) -> Option<(String, Option<u16>)> {
    let host = host.trim();
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        match after {
            "" => (inside, None),
            p => (inside, Some(p.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name.is_empty() {
        return None;
    }
    Some((name, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(addr: &str) -> SocketAddr {
        addr.parse().unwrap()
    }

    #[test]
    fn loopback_names_on_the_bound_port_are_ours() {
        let listen = at("127.0.0.1:8620");
        for host in [
            "127.0.0.1:8620",
            "localhost:8620",
            "LOCALHOST:8620",
            "[::1]:8620",
            "127.0.0.2:8620",
        ] {
            assert!(host_allowed(host, listen, &[]), "{host}");
        }
        for host in [
            "127.0.0.1:8621",
            "localhost",
            "evil.example:8620",
            "localhost.evil.example:8620",
            "",
            "[::1",
            "a:b:c",
        ] {
            assert!(!host_allowed(host, listen, &[]), "{host}");
        }
    }

    #[test]
    fn the_bound_ip_is_ours_and_any_ip_when_unspecified() {
        assert!(host_allowed(
            "192.168.1.5:8620",
            at("192.168.1.5:8620"),
            &[]
        ));
        assert!(!host_allowed(
            "192.168.1.6:8620",
            at("192.168.1.5:8620"),
            &[]
        ));
        assert!(host_allowed("10.0.0.7:8620", at("0.0.0.0:8620"), &[]));
        assert!(!host_allowed(
            "rebind.example:8620",
            at("0.0.0.0:8620"),
            &[]
        ));
    }

    #[test]
    fn configured_names_match_with_or_without_a_port() {
        let listen = at("127.0.0.1:8620");
        let hosts = vec!["News.Example.org".to_string(), "lan-box:9000".to_string()];
        assert!(host_allowed("news.example.org", listen, &hosts));
        assert!(host_allowed("news.example.org.:443", listen, &hosts));
        assert!(host_allowed("lan-box:9000", listen, &hosts));
        assert!(!host_allowed("lan-box:8620", listen, &hosts));
        assert!(!host_allowed("example.org", listen, &hosts));
    }
}
