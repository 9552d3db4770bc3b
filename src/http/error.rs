//! `ApiError`: the one error type of the HTTP handlers; logs the cause and
//! answers with a plain JSON message that reveals no internals.

use crate::store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or path segment the client got wrong; the text says which.
    #[error("{0}")]
    BadRequest(String),
    /// The thing named does not exist; the text names it.
    #[error("{0}")]
    NotFound(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// A blocking task panicked or was cancelled.
    #[error("background task failed: {0}")]
    Task(String),
}

impl ApiError {
    pub(crate) fn from_join(e: tokio::task::JoinError) -> ApiError {
        ApiError::Task(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Store(_) | ApiError::Task(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told: its own mistake in full, our failures only as a class.
    fn public_message(&self) -> String {
        match self {
            ApiError::BadRequest(m) | ApiError::NotFound(m) => m.clone(),
            ApiError::Store(_) | ApiError::Task(_) => {
                "internal error; see the server log".to_string()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "HTTP request failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.public_message() })),
        )
            .into_response()
    }
}
