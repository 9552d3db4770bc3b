//! `FeedServer`: an axum server on 127.0.0.1 serving scripted replies per path,
//! counting requests and remembering their headers.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one path answers.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status, headers and body.
    Body {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Never answer (the client times out).
    Stall,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Body {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }
    pub fn rss(body: impl Into<Vec<u8>>) -> Reply {
        Reply::ok("application/rss+xml; charset=utf-8", body)
    }
    pub fn status(status: u16) -> Reply {
        Reply::Body {
            status,
            headers: vec![],
            body: b"error".to_vec(),
        }
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Body { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

#[derive(Default)]
struct Inner {
    replies: HashMap<String, Reply>,
    hits: HashMap<String, usize>,
    last_headers: HashMap<String, HeaderMap>,
    /// Status codes answered, per path, in order.
    statuses: HashMap<String, Vec<u16>>,
    /// Every reply waits this long first (to observe concurrency).
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
}

/// A running feed server; dropped with the test's runtime.
#[derive(Clone)]
pub struct FeedServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        FeedServer::start_on("127.0.0.1").await
    }

    /// A server on another loopback address (127.0.0.2 ...), a different "host".
    pub async fn start_on(ip: &str) -> FeedServer {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new().fallback(serve).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .expect("bind feed server");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        FeedServer { addr, inner }
    }

    /// Full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.inner
            .lock()
            .unwrap()
            .replies
            .insert(path.to_string(), reply);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    pub fn statuses(&self, path: &str) -> Vec<u16> {
        self.inner
            .lock()
            .unwrap()
            .statuses
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_delay(&self, delay: Duration) {
        self.inner.lock().unwrap().delay = delay;
    }

    /// Most requests in flight at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }

    pub fn last_headers(&self, path: &str) -> Option<HeaderMap> {
        self.inner.lock().unwrap().last_headers.get(path).cloned()
    }
}

async fn serve(State(inner): State<Arc<Mutex<Inner>>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let (reply, delay) = {
        let mut inner = inner.lock().unwrap();
        *inner.hits.entry(path.clone()).or_default() += 1;
        inner
            .last_headers
            .insert(path.clone(), req.headers().clone());
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        (inner.replies.get(&path).cloned(), inner.delay)
    };
    tokio::time::sleep(delay).await;
    let response = respond(reply, req.headers()).await;
    let mut inner = inner.lock().unwrap();
    inner.in_flight -= 1;
    inner
        .statuses
        .entry(path)
        .or_default()
        .push(response.status().as_u16());
    response
}

async fn respond(reply: Option<Reply>, request: &HeaderMap) -> Response {
    match reply {
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .unwrap(),
        Some(Reply::Stall) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(Body::empty())
        }
        Some(Reply::Body {
            status,
            headers,
            body,
        }) => {
            // Conditional GET: an ETag reply answers 304 to a matching If-None-Match.
            let etag = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
                .map(|(_, v)| v.clone());
            let asked = request.get("if-none-match").and_then(|v| v.to_str().ok());
            if let Some(etag) = etag.filter(|e| status == 200 && asked == Some(e.as_str())) {
                return Response::builder()
                    .status(304)
                    .header("etag", etag)
                    .body(Body::empty())
                    .unwrap();
            }
            let mut b = Response::builder().status(status);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            b.body(Body::from(body)).unwrap()
        }
    }
}
