//! When each feed is due.
