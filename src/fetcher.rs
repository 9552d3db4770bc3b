//! HTTP fetching: one reqwest client, conditional GET, time and size caps, address guard.
