//! The optional `[http] token`: a Bearer header for scripts, or a login form
//! that sets an HttpOnly, SameSite=Strict session cookie for browsers.
//!
//! The cookie holds an HMAC of a fixed label keyed by the token, never the
//! token itself; changing the token ends every session.

use super::AppState;
use super::pages;
use crate::config::Secret;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Name of the session cookie set by `/login`.
pub const COOKIE_NAME: &str = "steppewatch_session";

/// How long a browser keeps the session cookie: a month, so analysts are not
/// asked daily; rotating the token ends sessions sooner.
const SESSION_MAX_AGE_SECS: u64 = 30 * 24 * 3600;

/// Mixed into the cookie value so it can never be replayed as the token itself.
const SESSION_LABEL: &[u8] = b"steppewatch session v1";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

/// Lets a request through when no token is configured or it proves the token;
/// otherwise 401: the login form for pages, a JSON/plain message elsewhere.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = &state.token else {
        return next.run(req).await;
    };
    if authorized(req.headers(), token) {
        return next.run(req).await;
    }
    let path = req.uri().path();
    if path.starts_with("/api/") || path == "/metrics" || path.ends_with(".atom") {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            axum::Json(serde_json::json!({"error": "missing or wrong token"})),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    (StatusCode::UNAUTHORIZED, pages::login(None)).into_response()
}

/// Whether the headers carry `Authorization: Bearer <token>` or a valid session cookie.
pub fn authorized(headers: &HeaderMap, token: &Secret) -> bool {
    let bearer = headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.strip_prefix("Bearer "))
        .any(|given| constant_time_eq(given.trim().as_bytes(), token.expose().as_bytes()));
    bearer
        || session_cookie(headers)
            .is_some_and(|c| constant_time_eq(c.as_bytes(), session_value(token).as_bytes()))
}

/// The value of our session cookie in the `Cookie` headers, if present.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
}

/// The cookie value that proves a login with `token`.
fn session_value(token: &Secret) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(token.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(SESSION_LABEL);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Compares without an early exit, so response time does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn login_page(State(state): State<AppState>) -> Response {
    if state.token.is_none() {
        return Redirect::to("/").into_response();
    }
    pages::login(None).into_response()
}

#[derive(serde::Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let Some(token) = &state.token else {
        return Redirect::to("/").into_response();
    };
    if !constant_time_eq(form.token.trim().as_bytes(), token.expose().as_bytes()) {
        tracing::warn!("HTTP login refused: wrong token");
        return (
            StatusCode::UNAUTHORIZED,
            pages::login(Some("That token is not right.")),
        )
            .into_response();
    }
    let cookie = format!(
        "{COOKIE_NAME}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_MAX_AGE_SECS}",
        session_value(token)
    );
    set_cookie(Redirect::to("/").into_response(), &cookie)
}

async fn logout() -> Response {
    let cookie = format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    set_cookie(Redirect::to("/login").into_response(), &cookie)
}

fn set_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn bearer_and_cookie_prove_the_token() {
        let token = Secret::new("s3cret-token".into());
        assert!(authorized(
            &headers(&[("authorization", "Bearer s3cret-token")]),
            &token
        ));
        assert!(!authorized(
            &headers(&[("authorization", "Bearer s3cret-tokem")]),
            &token
        ));
        assert!(!authorized(
            &headers(&[("authorization", "Basic s3cret-token")]),
            &token
        ));
        let cookie = format!("a=b; {COOKIE_NAME}={}", session_value(&token));
        assert!(authorized(&headers(&[("cookie", &cookie)]), &token));
        let other = format!(
            "{COOKIE_NAME}={}",
            session_value(&Secret::new("other".into()))
        );
        assert!(!authorized(&headers(&[("cookie", &other)]), &token));
        // The token itself is not a session cookie.
        assert!(!authorized(
            &headers(&[("cookie", &format!("{COOKIE_NAME}=s3cret-token"))]),
            &token
        ));
    }
}
