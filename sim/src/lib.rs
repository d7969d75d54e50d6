//! Tidemark's simulation harness: scenarios, workloads, the simulated
//! network, the oracle, sweeps, reports, transcripts and the CLI.
//!
//! Everything random here derives from one seed per run; nothing reads the
//! wall clock except progress bars, which never reach an output.

/// True when the named known-bug variant is active (`tidemark known-bugs`);
/// the constant `false` without the `known-bugs` feature.
macro_rules! known_bug {
    ($($v:ident)|+) => {{
        #[cfg(feature = "known-bugs")]
        let on = false $(|| tidemark_engine::known_bugs::on(tidemark_engine::known_bugs::KnownBug::$v))+;
        #[cfg(not(feature = "known-bugs"))]
        let on = false;
        on
    }};
}

pub mod arch;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod consumer;
pub mod final_panes;
pub mod invariants;
pub mod jsonl;
#[cfg(feature = "known-bugs")]
pub mod known_bugs;
pub mod lazy_chacha;
pub mod log;
pub mod memory;
pub mod merge;
pub mod metrics;
pub mod model;
pub mod network;
pub mod oracle;
pub mod output;
pub mod recovery_checks;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod scene;
pub mod shrink;
pub mod stage;
pub mod summary;
pub mod swarm;
pub mod sweep;
pub mod trace_hash;
pub mod transcript;
pub mod workers;
pub mod workload;

/// Errors in files users write (`file:line:col: message`), shared with the
/// transcript format.
pub use tidemark_spec::input_error;
