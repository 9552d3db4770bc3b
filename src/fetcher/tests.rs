//! Fetcher tests against real HTTP servers on loopback addresses.

use super::*;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use futures_util::stream;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use tokio::net::{TcpListener, TcpStream};

const MIB: u64 = 1 << 20;

fn cfg(allow_private: bool) -> config::Fetch {
    config::Fetch {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        max_body: MIB,
        per_host: 2,
        allow_private,
        user_agent: String::new(),
        max_redirects: 5,
        allow_addrs: Vec::new(),
    }
}

fn local_fetcher() -> Fetcher {
    Fetcher::new(&cfg(true)).unwrap()
}

async fn serve(router: Router) -> SocketAddr {
    serve_on("127.0.0.1", router).await
}

async fn serve_on(ip: &str, router: Router) -> SocketAddr {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

fn redirect(code: StatusCode, to: &str) -> Response {
    (code, [(header::LOCATION, to.to_string())]).into_response()
}

async fn fetched(fetcher: &Fetcher, url: &str) -> Fetched {
    match fetcher.fetch(url, &Conditional::default()).await {
        Ok(FetchOutcome::Fetched(f)) => f,
        other => panic!("{url}: expected a body, got {other:?}"),
    }
}

async fn failed(fetcher: &Fetcher, url: &str) -> FetchError {
    match fetcher.fetch(url, &Conditional::default()).await {
        Err(e) => e,
        Ok(outcome) => panic!("{url}: expected an error, got {outcome:?}"),
    }
}

/// Request headers the conditional-GET server saw, one entry per request.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// "Привет" in windows-1251: the body must arrive as these bytes, not decoded.
const CP1251_BODY: &[u8] = &[0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2];

async fn conditional_feed(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v == "\"v1\"");
    seen.lock().unwrap().push(headers);
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::CACHE_CONTROL, "max-age=600")],
        )
            .into_response();
    }
    let headers = [
        (header::ETAG, "\"v1\""),
        (header::LAST_MODIFIED, "Wed, 21 Oct 2015 07:28:00 GMT"),
        (
            header::CONTENT_TYPE,
            "application/rss+xml; charset=windows-1251",
        ),
        (header::CACHE_CONTROL, "public, max-age=900"),
    ];
    (headers, CP1251_BODY).into_response()
}

#[tokio::test]
async fn conditional_get_stores_validators_and_gets_not_modified() {
    let seen = Seen::default();
    let addr = serve(
        Router::new()
            .route("/feed", get(conditional_feed))
            .with_state(seen.clone()),
    )
    .await;
    let url = format!("http://{addr}/feed");
    let fetcher = local_fetcher();

    let first = fetched(&fetcher, &url).await;
    assert_eq!(first.body, CP1251_BODY);
    assert_eq!(first.status, 200);
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.last_modified.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/rss+xml; charset=windows-1251")
    );
    assert_eq!(first.max_age, Some(Duration::from_secs(900)));
    assert_eq!(first.final_url, url);
    assert_eq!(first.permanent_redirect, None);

    let cond = Conditional {
        etag: first.etag.clone(),
        last_modified: first.last_modified.clone(),
    };
    let second = fetcher.fetch(&url, &cond).await.unwrap();
    assert!(
        matches!(second, FetchOutcome::NotModified { max_age: Some(d) } if d == Duration::from_secs(600)),
        "{second:?}"
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].get(header::IF_NONE_MATCH).is_none()
            && seen[0].get(header::IF_MODIFIED_SINCE).is_none()
    );
    assert_eq!(seen[1][header::IF_NONE_MATCH], "\"v1\"");
    assert_eq!(
        seen[1][header::IF_MODIFIED_SINCE],
        "Wed, 21 Oct 2015 07:28:00 GMT"
    );
    let agent = seen[0][header::USER_AGENT].to_str().unwrap();
    assert_eq!(agent, DEFAULT_USER_AGENT);
    assert!(
        agent.starts_with("steppewatch/")
            && agent.contains("https://github.com/steppewatch/steppewatch")
    );
}

#[tokio::test]
async fn rate_limits_and_gone_are_reported_with_their_details() {
    let in_two_hours = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(7200));
    let router = Router::new()
        .route(
            "/429",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, "3600")],
                )
            }),
        )
        .route(
            "/503",
            get(move || async move {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, in_two_hours)],
                )
            }),
        )
        .route("/410", get(|| async { StatusCode::GONE }))
        .route("/500", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route("/404", get(|| async { StatusCode::NOT_FOUND }));
    let addr = serve(router).await;
    let fetcher = local_fetcher();

    let limited = failed(&fetcher, &format!("http://{addr}/429")).await;
    assert!(
        matches!(limited, FetchError::Status { code: 429, retry_after: Some(d) } if d == Duration::from_secs(3600))
    );
    assert_eq!(limited.to_string(), "http status 429 (retry after 3600s)");
    assert!(limited.is_transient());

    let unavailable = failed(&fetcher, &format!("http://{addr}/503")).await;
    let wait = unavailable.retry_after().expect("a Retry-After date");
    assert!(matches!(unavailable, FetchError::Status { code: 503, .. }));
    assert!(
        (Duration::from_secs(7100)..=Duration::from_secs(7200)).contains(&wait),
        "{wait:?}"
    );

    let gone = failed(&fetcher, &format!("http://{addr}/410")).await;
    assert!(matches!(gone, FetchError::Gone));
    assert!(!gone.is_transient());

    assert!(matches!(
        failed(&fetcher, &format!("http://{addr}/500")).await,
        FetchError::Status {
            code: 500,
            retry_after: None
        }
    ));
    let missing = failed(&fetcher, &format!("http://{addr}/404")).await;
    assert!(matches!(
        missing,
        FetchError::Status {
            code: 404,
            retry_after: None
        }
    ));
    assert!(!missing.is_transient());
}

static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];
const HUGE: u64 = 200 * MIB;

/// 200 MiB produced chunk by chunk as the client reads, counting what was produced.
fn huge_body(produced: Arc<AtomicU64>) -> Body {
    let chunks = stream::iter(0..HUGE / CHUNK.len() as u64).map(move |_| {
        produced.fetch_add(CHUNK.len() as u64, SeqCst);
        Ok::<_, Infallible>(Bytes::from_static(&CHUNK))
    });
    Body::from_stream(chunks)
}

#[tokio::test]
async fn huge_bodies_stop_at_the_cap() {
    let chunked = Arc::new(AtomicU64::new(0));
    let declared = Arc::new(AtomicU64::new(0));
    let (c, d) = (chunked.clone(), declared.clone());
    let router = Router::new()
        .route("/chunked", get(move || async move { huge_body(c) }))
        .route(
            "/declared",
            get(
                move || async move { ([(header::CONTENT_LENGTH, HUGE.to_string())], huge_body(d)) },
            ),
        );
    let addr = serve(router).await;
    let fetcher = local_fetcher();

    for (path, produced) in [("chunked", &chunked), ("declared", &declared)] {
        let err = failed(&fetcher, &format!("http://{addr}/{path}")).await;
        assert!(
            matches!(err, FetchError::TooLarge { limit: MIB }),
            "{path}: {err:?}"
        );
        // The server can only run ahead of the reader by the socket buffers.
        let sent = produced.load(SeqCst);
        assert!(
            sent < HUGE / 4,
            "{path}: the server produced {sent} bytes before the client gave up"
        );
    }
}

/// A gzip stream of `mib` MiB of zeros, built from one deflate segment repeated,
/// so a 512 MiB bomb costs milliseconds to make. After a sync flush each segment
/// is byte-aligned and refers only to the zeros before it, so copies chain.
fn gzip_zeros(mib: u64) -> Vec<u8> {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    fn segment(compress: &mut Compress, input: &[u8], flush: FlushCompress) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 * 1024);
        let before = compress.total_in();
        compress.compress_vec(input, &mut out, flush).unwrap();
        assert_eq!(
            compress.total_in() - before,
            input.len() as u64,
            "one call compresses the whole segment"
        );
        out
    }
    let zeros = vec![0u8; MIB as usize];
    let mut compress = Compress::new(Compression::best(), false);
    let first = segment(&mut compress, &zeros, FlushCompress::Sync);
    let steady = segment(&mut compress, &zeros, FlushCompress::Sync);
    let end = segment(&mut compress, &[], FlushCompress::Finish);
    let (mut one, mut crc) = (Crc::new(), Crc::new());
    one.update(&zeros);
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&first);
    crc.combine(&one);
    for _ in 1..mib {
        gz.extend_from_slice(&steady);
        crc.combine(&one);
    }
    gz.extend_from_slice(&end);
    gz.extend_from_slice(&crc.sum().to_le_bytes());
    gz.extend_from_slice(&((mib * MIB) as u32).to_le_bytes());
    gz
}

#[tokio::test]
async fn gzip_is_decoded_and_a_gzip_bomb_stops_at_the_cap() {
    let small = gzip_zeros(3);
    let mut check = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&small[..]), &mut check).unwrap();
    assert!(
        check.len() as u64 == 3 * MIB && check.iter().all(|&b| b == 0),
        "the test's gzip builder is valid"
    );
    let bomb = gzip_zeros(512);
    assert!(
        (bomb.len() as u64) < MIB,
        "the bomb is small on the wire: {} bytes",
        bomb.len()
    );

    let gzip = |body: Vec<u8>| move || async move { ([(header::CONTENT_ENCODING, "gzip")], body) };
    let router = Router::new()
        .route("/small", get(gzip(small)))
        .route("/bomb", get(gzip(bomb)));
    let addr = serve(router).await;
    let fetcher = Fetcher::new(&config::Fetch {
        max_body: 4 * MIB,
        ..cfg(true)
    })
    .unwrap();

    let decoded = fetched(&fetcher, &format!("http://{addr}/small")).await;
    assert_eq!(decoded.body.len() as u64, 3 * MIB);
    assert!(decoded.body.iter().all(|&b| b == 0));
    let err = failed(&fetcher, &format!("http://{addr}/bomb")).await;
    assert!(
        matches!(err, FetchError::TooLarge { limit } if limit == 4 * MIB),
        "{err:?}"
    );
}

#[tokio::test]
async fn redirects_are_followed_and_permanence_reported() {
    let loops = Arc::new(AtomicUsize::new(0));
    let counter = loops.clone();
    let router = Router::new()
        .route("/feed", get(|| async { "<rss/>" }))
        .route(
            "/a",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/b") }),
        )
        .route(
            "/b",
            get(|| async { redirect(StatusCode::PERMANENT_REDIRECT, "feed") }),
        )
        .route(
            "/c",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/d") }),
        )
        .route("/d", get(|| async { redirect(StatusCode::FOUND, "/feed") }))
        .route(
            "/temp",
            get(|| async { redirect(StatusCode::TEMPORARY_REDIRECT, "/feed") }),
        )
        .route(
            "/loop",
            get(move || async move {
                counter.fetch_add(1, SeqCst);
                redirect(StatusCode::FOUND, "/loop")
            }),
        );
    let addr = serve(router).await;
    let base = format!("http://{addr}");
    let fetcher = local_fetcher();

    let moved = fetched(&fetcher, &format!("{base}/a")).await;
    assert_eq!(moved.body, b"<rss/>");
    assert_eq!(moved.final_url, format!("{base}/feed"));
    assert_eq!(moved.permanent_redirect, Some(format!("{base}/feed")));

    for path in ["/c", "/temp"] {
        let temporary = fetched(&fetcher, &format!("{base}{path}")).await;
        assert_eq!(temporary.final_url, format!("{base}/feed"), "{path}");
        assert_eq!(temporary.permanent_redirect, None, "{path}");
    }

    assert!(matches!(
        failed(&fetcher, &format!("{base}/loop")).await,
        FetchError::TooManyRedirects
    ));
    assert_eq!(
        loops.load(SeqCst),
        cfg(true).max_redirects + 1,
        "the first request and exactly the allowed redirects"
    );

    let strict = Fetcher::builder(&cfg(true))
        .max_redirects(1)
        .build()
        .unwrap();
    assert!(matches!(
        failed(&strict, &format!("{base}/a")).await,
        FetchError::TooManyRedirects
    ));
}

#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

async fn slow_feed(State(counts): State<Arc<InFlight>>) -> &'static str {
    let now = counts.now.fetch_add(1, SeqCst) + 1;
    counts.max.fetch_max(now, SeqCst);
    tokio::time::sleep(Duration::from_millis(40)).await;
    counts.now.fetch_sub(1, SeqCst);
    counts.total.fetch_add(1, SeqCst);
    "<rss/>"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_never_sees_more_than_per_host_requests() {
    let counts = Arc::new(InFlight::default());
    let addr = serve(
        Router::new()
            .route("/{n}", get(slow_feed))
            .with_state(counts.clone()),
    )
    .await;
    let fetcher = Fetcher::new(&config::Fetch {
        timeout: Duration::from_secs(10),
        ..cfg(true)
    })
    .unwrap();

    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30 {
        let fetcher = fetcher.clone();
        tasks.spawn(async move {
            fetcher
                .fetch(&format!("http://{addr}/{n}"), &Conditional::default())
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert!(matches!(result.unwrap(), Ok(FetchOutcome::Fetched(_))));
    }
    assert_eq!(counts.total.load(SeqCst), 30);
    assert_eq!(
        counts.max.load(SeqCst),
        2,
        "per_host = 2 bounds the requests in flight, and both slots are used"
    );
}

#[tokio::test]
async fn a_stalled_body_times_out_without_holding_up_other_fetches() {
    let answered = Arc::new(AtomicUsize::new(0));
    let seen = answered.clone();
    let stall = get(move || async move {
        seen.fetch_add(1, SeqCst);
        let head =
            stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b"<rss><channel>")) });
        Body::from_stream(head.chain(stream::pending()))
    });
    let stalled_addr = serve(Router::new().route("/feed", stall)).await;
    let healthy_addr = serve_on(
        "127.0.0.2",
        Router::new().route("/feed", get(|| async { "<rss/>" })),
    )
    .await;
    let timeout = Duration::from_secs(2);
    let fetcher = Fetcher::new(&config::Fetch {
        timeout,
        ..cfg(true)
    })
    .unwrap();

    let started = Instant::now();
    let stalled = tokio::spawn({
        let fetcher = fetcher.clone();
        async move {
            fetcher
                .fetch(
                    &format!("http://{stalled_addr}/feed"),
                    &Conditional::default(),
                )
                .await
        }
    });
    while answered.load(SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let healthy = fetched(&fetcher, &format!("http://{healthy_addr}/feed")).await;
    assert_eq!(healthy.body, b"<rss/>");
    assert!(
        !stalled.is_finished(),
        "the healthy fetch finished while the stalled one was still waiting"
    );

    let err = stalled.await.unwrap().unwrap_err();
    assert!(matches!(err, FetchError::Timeout), "{err:?}");
    assert!(err.is_transient());
    assert!(started.elapsed() >= timeout);
}

/// A raw listener on 127.0.0.1 that counts accepted connections.
async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, SeqCst);
            open.push(stream);
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn private_destinations_get_no_connection_in_any_spelling_or_redirect() {
    let (target, accepted) = counting_listener().await;
    let port = target.port();
    let loopback = format!("http://127.0.0.1:{port}/feed");
    let localhost = format!("http://localhost:{port}/feed");
    let redirector = Router::new()
        .route("/ok", get(|| async { "<rss/>" }))
        .route(
            "/to-loopback",
            get(move || async move { redirect(StatusCode::FOUND, &loopback) }),
        )
        .route(
            "/to-localhost",
            get(move || async move { redirect(StatusCode::MOVED_PERMANENTLY, &localhost) }),
        )
        .route(
            "/to-file",
            get(|| async { redirect(StatusCode::FOUND, "file:///etc/passwd") }),
        );
    let public_looking = serve_on("127.0.0.2", redirector).await;
    let fetcher = Fetcher::builder(&cfg(false))
        .allow_addrs(["127.0.0.2".parse().unwrap()])
        .build()
        .unwrap();

    let direct = [
        format!("http://127.0.0.1:{port}/feed"),
        format!("http://127.1:{port}/feed"),
        format!("http://2130706433:{port}/feed"),
        format!("http://0x7f.1:{port}/feed"),
        format!("http://0177.0.0.1:{port}/feed"),
        format!("http://[::ffff:127.0.0.1]:{port}/feed"),
        format!("http://0.0.0.0:{port}/feed"),
        format!("http://localhost:{port}/feed"),
        format!("ftp://127.0.0.2:{port}/feed"),
    ];
    for url in &direct {
        let err = failed(&fetcher, url).await;
        assert!(matches!(err, FetchError::Blocked { .. }), "{url}: {err:?}");
        assert!(!err.is_transient());
    }

    assert_eq!(
        fetched(&fetcher, &format!("http://{public_looking}/ok"))
            .await
            .body,
        b"<rss/>"
    );
    for path in ["/to-loopback", "/to-localhost", "/to-file"] {
        let err = failed(&fetcher, &format!("http://{public_looking}{path}")).await;
        assert!(matches!(err, FetchError::Blocked { .. }), "{path}: {err:?}");
    }

    // Control: one connection of our own is counted, and accepts are in order, so
    // a connection made by any fetch above would have been counted before it.
    let _control = TcpStream::connect(target).await.unwrap();
    while accepted.load(SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        accepted.load(SeqCst),
        1,
        "no fetch may open a connection to 127.0.0.1"
    );
}

#[tokio::test]
async fn host_names_are_judged_by_what_they_resolve_to() {
    let addr = serve(Router::new().route("/feed", get(|| async { "<rss/>" }))).await;
    let url = format!("http://localhost:{}/feed", addr.port());

    let refusing = Fetcher::new(&cfg(false)).unwrap();
    let err = failed(&refusing, &url).await;
    assert!(
        matches!(&err, FetchError::Blocked { reason } if reason.contains("localhost")),
        "{err:?}"
    );

    let loopback = ["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    let allowing = Fetcher::builder(&cfg(false))
        .allow_addrs(loopback)
        .build()
        .unwrap();
    assert_eq!(fetched(&allowing, &url).await.body, b"<rss/>");
}

#[tokio::test]
async fn unreachable_and_malformed_urls_are_reported() {
    let fetcher = local_fetcher();
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let err = failed(&fetcher, &format!("http://{closed}/feed")).await;
    assert!(matches!(err, FetchError::Connect(_)), "{err:?}");
    assert!(err.is_transient());
    assert!(matches!(
        failed(&fetcher, "not a url").await,
        FetchError::InvalidUrl(_)
    ));
}

/// An HTTP/1.1 server on 127.0.0.1 that keeps connections alive and counts
/// the connections it accepted.
async fn keep_alive_server() -> (SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, SeqCst);
            tokio::spawn(async move {
                let body = "<rss version=\"2.0\"><channel><title>t</title></channel></rss>";
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = stream.read(&mut buf).await {
                    request.extend_from_slice(&buf[..n]);
                    while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        request.drain(..end + 4);
                        let response = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/rss+xml\r\n\
                             content-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn issue10_feed_fetches_keep_no_idle_connection_and_pages_reuse_theirs() {
    let fetcher = local_fetcher();
    let (feeds, accepted) = keep_alive_server().await;
    for n in 0..3 {
        fetched(&fetcher, &format!("http://{feeds}/feed{n}.xml")).await;
    }
    assert_eq!(accepted.load(SeqCst), 3, "one connection per feed fetch");

    let (pages, accepted) = keep_alive_server().await;
    for n in 0..3 {
        fetcher
            .fetch_page(&format!("http://{pages}/article{n}"))
            .await
            .unwrap();
    }
    assert_eq!(
        accepted.load(SeqCst),
        1,
        "article pages share a pooled connection"
    );
}
