//! The values that flow between the simulation's stages:
//! scenario → [`Workload`] → [`Trace`] → [`StrategyRun`] → oracle → metrics → report.
//!
//! Each stage returns a new value and never calls back upstream. Everything
//! here is plain data, ordered (`Vec`, `BTreeMap`), so that a run's bytes
//! depend on nothing but the scenario and the seed.

use tidemark_engine::{DeadLetter, EventTime, Pane, ProcTime, StateSize};

/// One generated event, as its source produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Unique per run, dense from 0 in generation order.
    pub id: u64,
    /// Index of the source (phone, sensor) that produced it.
    pub source: u32,
    /// Key index; `Workload::keys[key]` is its name.
    pub key: u64,
    /// The value aggregated.
    pub value: i64,
    /// Event time as stamped by the source's (possibly skewed) clock.
    pub time: EventTime,
    /// When the event really happened, on the true clock (time − skew).
    pub true_time: EventTime,
    /// Processing time at which the source handed the event to the network
    /// (later than `true_time` when the source was offline and buffered it).
    pub sent_at: ProcTime,
}

/// Everything the sources generate in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Events ordered by (`sent_at`, `id`).
    pub events: Vec<Event>,
    /// Source names, indexed by `Event::source`.
    pub sources: Vec<String>,
    /// Key names, indexed by `Event::key`.
    pub keys: Vec<String>,
}

/// What reached an engine worker, in the order it arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// An event (possibly a duplicate created by a retry) arrived.
    Record {
        /// Arrival processing time.
        at: ProcTime,
        /// The engine worker it reached.
        worker: u32,
        /// The input channel (source, or log partition) it came through.
        channel: u32,
        /// The event (`Workload::events[event]`, equal to its id).
        event: u64,
        /// True when an earlier copy of the same event already arrived.
        duplicate: bool,
    },
    /// A source's own low watermark arrived (punctuated strategy).
    Punctuation {
        /// Arrival processing time.
        at: ProcTime,
        /// The engine worker it reached.
        worker: u32,
        /// The input channel it came through.
        channel: u32,
        /// The watermark the source asserted.
        watermark: EventTime,
    },
}

impl Delivery {
    /// Arrival processing time.
    pub fn at(&self) -> ProcTime {
        match *self {
            Delivery::Record { at, .. } | Delivery::Punctuation { at, .. } => at,
        }
    }

    /// The worker it is delivered to.
    pub fn worker(&self) -> u32 {
        match *self {
            Delivery::Record { worker, .. } | Delivery::Punctuation { worker, .. } => worker,
        }
    }

    /// Its channel: the source (no log) or the log partition.
    pub fn channel(&self) -> u32 {
        match *self {
            Delivery::Record { channel, .. } | Delivery::Punctuation { channel, .. } => channel,
        }
    }
}

/// One decision the simulated network took, for `replay`'s story.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultDecision {
    /// Processing time of the decision.
    pub at: ProcTime,
    /// What happened, e.g. "event 17 attempt 1 lost (loss 0.05)".
    pub what: String,
}

/// What the network delivered in one run: the input every strategy sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Deliveries in arrival order (by `at`, ties in a fixed order).
    pub deliveries: Vec<Delivery>,
    /// Fault decisions, in time order.
    pub faults: Vec<FaultDecision>,
    /// Events never delivered (lost after all retries), by id.
    pub undelivered: Vec<u64>,
    /// Number of engine workers.
    pub workers: u32,
    /// Number of input channels per worker.
    pub channels: u32,
    /// Processing time when the last message settled.
    pub end: ProcTime,
}

/// One strategy's run over a trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyRun {
    /// The strategy's name, from the scenario.
    pub strategy: String,
    /// Every pane and retraction a consumer of the sink sees, in the order
    /// they became visible (with duplicates, for an at-least-once sink
    /// after a restart).
    pub panes: Vec<Pane>,
    /// When each pane became visible downstream (`panes[i]` at
    /// `visible_at[i]`): its firing time, or its checkpoint's commit for an
    /// exactly-once sink. Empty for runs made outside the processing loop.
    pub visible_at: Vec<ProcTime>,
    /// Every dead letter, in emission order.
    pub dead_letters: Vec<DeadLetter>,
    /// The watermark each worker sent downstream, as (processing time,
    /// worker, watermark). A restored worker sends nothing behind what it
    /// already sent.
    pub watermarks: Vec<(ProcTime, u32, EventTime)>,
    /// Records the engine saw (after deduplication when on).
    pub records_in: u64,
    /// Duplicates removed by deduplication.
    pub duplicates_dropped: u64,
    /// Duplicates that reached the engine (deduplication off).
    pub duplicates_counted: u64,
    /// Watermarks the engine ignored because they went back.
    pub watermark_regressions: u64,
    /// The processing phase: checkpoints, crashes, lag, sink, retention.
    pub recovery: Recovery,
}

/// What the processing phase did besides producing outputs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Recovery {
    /// The sink's guarantee (`at_least_once`, `exactly_once`, `idempotent`).
    pub sink: &'static str,
    /// Worker crashes.
    pub crashes: u64,
    /// Restarts (each restores the last completed checkpoint, or starts
    /// from the earliest retained offset before the first).
    pub restarts: u64,
    /// Restarts that had a checkpoint to restore.
    pub restores: u64,
    /// Checkpoints completed.
    pub checkpoints: u64,
    /// Largest checkpoint, in estimated bytes (engine snapshot, offsets, watermark state).
    pub checkpoint_bytes_max: u64,
    /// Sum of all checkpoints' estimated bytes.
    pub checkpoint_bytes_total: u64,
    /// Most entries appended for a worker but not yet processed, over the run.
    pub lag_max: u64,
    /// Consumer lag samples, as (processing time, worker, entries behind),
    /// at most one per worker and second.
    pub lag: Vec<(ProcTime, u32, u64)>,
    /// Panes a consumer of the sink saw more than once.
    pub downstream_duplicates: u64,
    /// Per visible pane (empty when there was no restart): fired by a worker
    /// incarnation whose work after its last checkpoint was lost in a
    /// crash, so the restored worker fired it (or its replacement) again.
    pub replayed: Vec<bool>,
    /// Panes an idempotent sink overwrote with a replayed copy.
    pub overwrites: u64,
    /// Log entries a reader needed after retention dropped them, as
    /// (trace delivery index, processing time of the failed read), by index.
    pub retention_missed: Vec<(usize, ProcTime)>,
    /// Per trace delivery: read by the engine in the run's surviving
    /// history (after the last restore, or since the start).
    pub read: Vec<bool>,
    /// Per trace delivery, beside `read`: how long after its append, in
    /// ms, the engine read it in the surviving history (its processing
    /// time minus its append time; `u32::MAX` when longer than that can
    /// say; meaningless where `read` is false). Kept for every strategy
    /// whose entries were not processed as they were appended
    /// (`Processing::exact` false): watermark conformance runs a channel's
    /// idle timer from these instants, and the firing and contents checks
    /// compare panes with what was read before them. Empty otherwise (4
    /// bytes a delivery).
    pub read_delay: Vec<u32>,
    /// Restores whose engine watermark was behind one already sent downstream.
    pub watermark_rewinds: u64,
    /// Watermarks a restored worker held back because they were behind one
    /// it had already sent.
    pub watermarks_held: u64,
    /// Each worker's engine state once all input was processed, before the
    /// final watermark.
    pub state_at_end: Vec<StateSize>,
    /// Each worker's engine watermark at that moment: state is only
    /// comparable between runs whose engines reached the same watermark.
    pub watermark_at_end: Vec<EventTime>,
    /// Per worker: the first processing time, after it started, at which
    /// it had processed everything appended for it so far (lag 0 after an
    /// entry); `None` if it never was. A late-joining consumer (Kappa
    /// reprocessing) has caught up then.
    pub caught_up_at: Vec<Option<ProcTime>>,
    /// Most windows (open and closed) one worker's engine held, sampled
    /// once per worker and second of processing, summed over workers.
    pub state_peak_windows: u64,
    /// Windows (open and closed) each worker's engine held, as (processing
    /// time, worker, windows), at most one per worker and second.
    pub state_windows: Vec<(ProcTime, u32, u64)>,
}
