//! The transcript format, parser, runner and checker:
//! `tidemark_spec::transcript`, re-exported here. The `tidemark transcript`
//! subcommand is `commands/transcript.rs`.

pub use tidemark_spec::transcript::*;
