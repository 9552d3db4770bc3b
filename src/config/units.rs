//! Durations ("15m", "2h", "3d") and sizes ("10MiB") as written in the file.
