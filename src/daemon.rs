//! Starts and joins the daemon tasks; owns shutdown.
