//! The address guard: which destinations steppewatch may connect to, checked on
//! URLs before a request and on resolved addresses at connect time.
//!
//! Feed and webhook URLs come from configuration, OPML files and redirects chosen
//! by remote servers, so a URL must never make the daemon talk to the machine it
//! runs on or its private network (SSRF). Two gates are needed because reqwest
//! resolves host names through our [`Resolve`] implementation but connects to IP
//! literals directly, without asking any resolver.

use super::FetchError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Once};
use url::{Host, Url};

/// IPv4 ranges that are not on the public internet, with the reason each is refused.
const BLOCKED_V4: &[(Ipv4Addr, u8, &str)] = &[
    (
        Ipv4Addr::new(0, 0, 0, 0),
        8,
        "this network; 0.0.0.0 reaches the local host",
    ),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private"),
    (Ipv4Addr::new(100, 64, 0, 0), 10, "carrier-grade NAT"),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link-local, including cloud metadata services",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private"),
    (Ipv4Addr::new(192, 0, 0, 0), 24, "IETF protocol assignments"),
    (Ipv4Addr::new(192, 0, 2, 0), 24, "documentation"),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "deprecated 6to4 relay anycast",
    ),
    (Ipv4Addr::new(192, 168, 0, 0), 16, "private"),
    (Ipv4Addr::new(198, 18, 0, 0), 15, "benchmarking"),
    (Ipv4Addr::new(198, 51, 100, 0), 24, "documentation"),
    (Ipv4Addr::new(203, 0, 113, 0), 24, "documentation"),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (
        Ipv4Addr::new(240, 0, 0, 0),
        4,
        "reserved, including broadcast",
    ),
];

/// Special-purpose ranges inside global unicast `2000::/3` that are refused.
/// Everything outside `2000::/3` is refused anyway (loopback, unspecified,
/// IPv4-compatible, unique-local, link-local, site-local, multicast, discard),
/// except the two forms that embed an IPv4 address and are judged by it.
const BLOCKED_V6: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF protocol assignments, including Teredo",
    ),
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation",
    ),
];

/// Whether `ip` is an ordinary public internet address: not loopback, private,
/// link-local, CGNAT, unique-local, unspecified, multicast, broadcast,
/// documentation or reserved, in any IPv4 or IPv6 spelling (IPv4-mapped,
/// NAT64 and 6to4 addresses are judged by the IPv4 address they carry).
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let bits = u32::from(ip);
    !BLOCKED_V4
        .iter()
        .any(|&(net, len, _)| prefix_matches(bits.into(), u32::from(net).into(), len, 32))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let bits = u128::from(ip);
    let global_unicast = bits >> 125 == 0b001;
    global_unicast
        && !BLOCKED_V6
            .iter()
            .any(|&(net, len, _)| prefix_matches(bits, net.into(), len, 128))
}

/// The IPv4 address an IPv6 address stands for, where the connection would in
/// effect go to that IPv4 host: IPv4-mapped `::ffff:a.b.c.d`, the NAT64
/// well-known prefix `64:ff9b::/96` and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let join = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(join(hi, lo)),
        [0x2002, hi, lo, ..] => Some(join(hi, lo)),
        _ => None,
    }
}

fn prefix_matches(addr: u128, net: u128, len: u8, width: u8) -> bool {
    let shift = u32::from(width - len);
    len == 0 || (addr >> shift) == (net >> shift)
}

/// The destination policy one client enforces: public addresses only, unless
/// private ones are allowed outright or a specific address is allow-listed.
#[derive(Debug, Clone)]
pub struct Guard {
    allow_private: bool,
    /// Addresses treated as public although they are not; for tests that need a
    /// "public" peer on another loopback address, and for a known intranet host.
    allowed: Arc<[IpAddr]>,
}

impl Guard {
    pub fn new(allow_private: bool, allowed: impl IntoIterator<Item = IpAddr>) -> Guard {
        let allowed = allowed.into_iter().map(|ip| ip.to_canonical()).collect();
        Guard {
            allow_private,
            allowed,
        }
    }

    /// Whether a connection to `ip` is allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        self.allow_private || self.allowed.contains(&ip.to_canonical()) || is_public_ip(ip)
    }

    /// Checks the scheme and, for an IP-literal host, the address. Host names
    /// pass here and are checked when they resolve (see [`guarded_client_builder`]).
    ///
    /// # Errors
    /// `Blocked` for a scheme other than http/https or a refused address;
    /// `InvalidUrl` for a URL without a host.
    pub fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Blocked {
                reason: format!("scheme {:?} is not allowed in {url}", url.scheme()),
            });
        }
        let ip = match url.host() {
            None => return Err(FetchError::InvalidUrl(format!("{url}: no host"))),
            Some(Host::Domain(_)) => return Ok(()),
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        };
        if self.permits(ip) {
            Ok(())
        } else {
            Err(FetchError::Blocked {
                reason: format!("{url} is a non-public address ({ip})"),
            })
        }
    }
}

/// Checks a URL with the default policy and no allow-listed addresses.
/// Host names pass here; a client from [`guarded_client_builder`] checks what
/// they resolve to.
///
/// # Errors
/// `Blocked` for a scheme other than http/https or a non-public IP literal
/// (in any spelling the URL parser accepts: `127.1`, `0x7f.0.0.1`, `2130706433`,
/// `[::ffff:127.0.0.1]`...); `InvalidUrl` for a URL without a host.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), FetchError> {
    Guard::new(allow_private, []).check_url(url)
}

/// A reqwest client builder that refuses non-public resolved addresses, ignores
/// proxy settings from the environment and follows no redirects.
///
/// The resolver cannot see IP-literal hosts, so callers must also pass every
/// URL through [`check_url`] (or [`Guard::check_url`]) before sending; with
/// redirects off, that check covers every address the client connects to.
pub fn guarded_client_builder(allow_private: bool, allowed: &[IpAddr]) -> reqwest::ClientBuilder {
    install_crypto_provider();
    let guard = Guard::new(allow_private, allowed.iter().copied());
    reqwest::Client::builder()
        .tls_backend_rustls()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(GuardedResolver { guard })
}

/// reqwest is built with `rustls-no-provider`, so a crypto provider must be
/// installed before the first client; another part of the process may have
/// installed one already, which is as good.
fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A resolver that drops refused addresses from the system resolver's answer
/// and fails when none is left, so a name pointing at 127.0.0.1 (or rebinding
/// to it later) never gets a connection.
struct GuardedResolver {
    guard: Guard,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|addr| guard.permits(addr.ip()));
            match refused.first() {
                Some(addr) if allowed.is_empty() => Err(BlockedAddress {
                    host,
                    ip: addr.ip(),
                }
                .into()),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The resolver's refusal; found again in reqwest's error chain to report it
/// as `FetchError::Blocked` rather than a connection failure.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to a non-public address ({ip})")]
pub(super) struct BlockedAddress {
    host: String,
    ip: IpAddr,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_public_ip_table() {
        let refused = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0:127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
        ];
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.0.3.1",
            "192.169.0.1",
            "198.17.255.255",
            "223.255.255.255",
            "2a00:1450:4001::200e",
            "2606:4700::6810:84e5",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ];
        for ip in refused {
            assert!(!is_public_ip(ip.parse().unwrap()), "{ip} should be refused");
        }
        for ip in public {
            assert!(is_public_ip(ip.parse().unwrap()), "{ip} should be public");
        }
    }

    #[test]
    fn loopback_in_every_spelling_is_refused() {
        let spellings = [
            "http://127.0.0.1/",
            "http://127.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://017700000001/",
            "http://0177.0.0.1/",
            "http://127.0.0.1./",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::127.0.0.1]/",
            "http://[::1]/",
            "http://0.0.0.0/",
            "http://0/",
            "https://10.1.2.3:8443/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
            "http://[2002:7f00:1::]/",
        ];
        for spelling in spellings {
            let url = Url::parse(spelling).unwrap();
            let err = check_url(&url, false).unwrap_err();
            assert!(
                matches!(err, FetchError::Blocked { .. }),
                "{spelling}: {err:?}"
            );
            assert!(
                check_url(&url, true).is_ok(),
                "{spelling} with allow_private"
            );
        }
    }

    #[test]
    fn only_http_and_https_are_allowed() {
        for spelling in [
            "ftp://example.org/feed",
            "file:///etc/passwd",
            "gopher://example.org/",
            "ws://example.org/",
        ] {
            let url = Url::parse(spelling).unwrap();
            assert!(
                matches!(check_url(&url, true), Err(FetchError::Blocked { .. })),
                "{spelling}"
            );
        }
        for spelling in [
            "http://example.org/feed",
            "https://93.184.215.14/rss",
            "https://[2606:4700::6810:84e5]/",
        ] {
            assert!(
                check_url(&Url::parse(spelling).unwrap(), false).is_ok(),
                "{spelling}"
            );
        }
    }

    #[test]
    fn allow_listed_addresses_pass_in_any_spelling() {
        let guard = Guard::new(false, ["127.0.0.2".parse().unwrap()]);
        assert!(guard.permits("127.0.0.2".parse().unwrap()));
        assert!(guard.permits("::ffff:127.0.0.2".parse().unwrap()));
        assert!(!guard.permits("127.0.0.1".parse().unwrap()));
        assert!(
            guard
                .check_url(&Url::parse("http://127.0.0.2:8080/").unwrap())
                .is_ok()
        );
        assert!(
            guard
                .check_url(&Url::parse("http://127.1/").unwrap())
                .is_err()
        );
    }
}
