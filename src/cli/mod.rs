//! The command line: clap definitions, dispatch and exit-code policy.
