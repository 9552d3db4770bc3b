//! The configuration file as written: serde structs that refuse unknown keys.
