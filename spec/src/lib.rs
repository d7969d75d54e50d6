//! Tidemark's file formats, shared by the engine's tests and the simulator:
//!
//! - [`grammar`]: the one pipeline grammar (windows, triggers,
//!   accumulation, timestamp combiner, aggregate, on-time behaviour) that
//!   scenarios and transcripts both read, generic over how durations are
//!   written ([`Spelling`]: [`Dur`] with units, [`Ticks`] without), and
//!   validated by the engine's own [`tidemark_engine::ConfigError`];
//! - [`transcript`]: Beam-style scripted engine tests (parser, runner,
//!   checker, rendering);
//! - [`encode`]: the one JSON encoding of engine outputs;
//! - [`input_error`], [`locate`]: `file:line:col: message` errors for files
//!   users write.
//!
//! This crate depends on the engine and never the other way round; the
//! engine only has it as a dev-dependency, to run its transcripts.
#![warn(missing_docs, unreachable_pub)]

pub mod duration;
pub mod encode;
pub mod grammar;
pub mod input_error;
pub mod locate;
pub mod short_form;
pub mod transcript;

pub use duration::{trigger_label, Dur, Spelling, Ticks};
pub use input_error::InputError;
