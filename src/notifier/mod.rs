//! Sends due alerts to webhooks.
