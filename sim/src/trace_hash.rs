//! A stable fingerprint of a run: FNV-1a (64 bit) over a canonical byte
//! encoding of the workload, the trace and every strategy's outputs.
//!
//! Never std's `RandomState` or `DefaultHasher`: their output may change
//! between Rust releases, and the hash is printed, snapshotted and compared
//! across processes. Every field is written explicitly, in a fixed order,
//! as little-endian integers, with lengths before sequences, so that two
//! different runs can't encode to the same bytes by shifting a boundary.

use crate::model::{Delivery, StrategyRun, Trace, Workload};
use tidemark_engine::{AggValue, DeadLetter, Pane, Window};

/// FNV-1a, 64 bit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    /// Adds raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    fn i64(&mut self, v: i64) {
        self.bytes(&v.to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    /// The hash so far.
    #[must_use]
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// The run's fingerprint, as 16 hex digits.
#[must_use]
pub fn run_hash(workload: &Workload, trace: &Trace, runs: &[StrategyRun]) -> String {
    let mut h = Fnv64::default();
    hash_workload(&mut h, workload);
    hash_trace(&mut h, trace);
    h.u64(runs.len() as u64);
    for run in runs {
        hash_run(&mut h, run);
    }
    format!("{:016x}", h.finish())
}

/// The fingerprint of the trace alone (what the network did).
#[must_use]
pub fn trace_hash(workload: &Workload, trace: &Trace) -> String {
    let mut h = Fnv64::default();
    hash_workload(&mut h, workload);
    hash_trace(&mut h, trace);
    format!("{:016x}", h.finish())
}

fn hash_workload(h: &mut Fnv64, w: &Workload) {
    h.u64(w.events.len() as u64);
    for e in &w.events {
        h.u64(e.id);
        h.u64(u64::from(e.source));
        h.u64(e.key);
        h.i64(e.value);
        h.i64(e.time.0);
        h.i64(e.true_time.0);
        h.i64(e.sent_at.0);
    }
    h.u64(w.sources.len() as u64);
    w.sources.iter().for_each(|s| h.str(s));
    h.u64(w.keys.len() as u64);
    w.keys.iter().for_each(|k| h.str(k));
}

fn hash_trace(h: &mut Fnv64, t: &Trace) {
    h.u64(t.deliveries.len() as u64);
    for d in &t.deliveries {
        match *d {
            Delivery::Record {
                at,
                worker,
                channel,
                event,
                duplicate,
            } => {
                h.u64(0);
                h.i64(at.0);
                h.u64(u64::from(worker));
                h.u64(u64::from(channel));
                h.u64(event);
                h.u64(u64::from(duplicate));
            }
            Delivery::Punctuation {
                at,
                worker,
                channel,
                watermark,
            } => {
                h.u64(1);
                h.i64(at.0);
                h.u64(u64::from(worker));
                h.u64(u64::from(channel));
                h.i64(watermark.0);
            }
        }
    }
    h.u64(t.faults.len() as u64);
    for f in &t.faults {
        h.i64(f.at.0);
        h.str(&f.what);
    }
    h.u64(t.undelivered.len() as u64);
    t.undelivered.iter().for_each(|id| h.u64(*id));
    h.u64(u64::from(t.workers));
    h.u64(u64::from(t.channels));
    h.i64(t.end.0);
}

fn hash_run(h: &mut Fnv64, r: &StrategyRun) {
    h.str(&r.strategy);
    h.u64(r.panes.len() as u64);
    r.panes.iter().for_each(|p| hash_pane(h, p));
    h.u64(r.dead_letters.len() as u64);
    r.dead_letters.iter().for_each(|d| hash_dead_letter(h, d));
    h.u64(r.watermarks.len() as u64);
    for &(at, worker, w) in &r.watermarks {
        h.i64(at.0);
        h.u64(u64::from(worker));
        h.i64(w.0);
    }
    h.u64(r.records_in);
    h.u64(r.duplicates_dropped);
    h.u64(r.duplicates_counted);
    h.u64(r.watermark_regressions);
}

fn hash_window(h: &mut Fnv64, w: &Window) {
    h.i64(w.start.0);
    h.i64(w.end.0);
}

fn hash_pane(h: &mut Fnv64, p: &Pane) {
    h.u64(p.key.0);
    hash_window(h, &p.window);
    hash_value(h, &p.value);
    h.i64(p.timestamp.0);
    h.str(p.info.timing.name());
    h.u64(p.info.index);
    h.i64(p.info.nonspeculative_index);
    h.u64(u64::from(p.info.is_first));
    h.u64(u64::from(p.info.is_last));
    h.u64(u64::from(p.retraction));
    h.i64(p.fired_at.0);
    h.i64(p.watermark.0);
}

fn hash_value(h: &mut Fnv64, v: &AggValue) {
    let opt = |h: &mut Fnv64, o: Option<i64>| match o {
        Some(x) => {
            h.u64(1);
            h.i64(x);
        }
        None => h.u64(0),
    };
    match v {
        AggValue::Sum(s) => {
            h.u64(0);
            h.i64(*s);
        }
        AggValue::Count(c) => {
            h.u64(1);
            h.u64(*c);
        }
        AggValue::Min(m) => {
            h.u64(2);
            opt(h, *m);
        }
        AggValue::Max(m) => {
            h.u64(3);
            opt(h, *m);
        }
        AggValue::Mean { sum, count } => {
            h.u64(4);
            h.i64(*sum);
            h.u64(*count);
        }
        AggValue::Collect(vs) => {
            h.u64(5);
            h.u64(vs.len() as u64);
            vs.iter().for_each(|x| h.i64(*x));
        }
    }
}

fn hash_dead_letter(h: &mut Fnv64, d: &DeadLetter) {
    h.u64(d.record.id);
    h.u64(d.record.key.0);
    h.i64(d.record.value);
    h.i64(d.record.time.0);
    h.u64(d.windows.len() as u64);
    d.windows.iter().for_each(|w| hash_window(h, w));
    h.i64(d.watermark.0);
    h.str(d.reason.name());
    h.i64(d.at.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_pinned() {
        // FNV-1a of "a" is a published test vector.
        let mut h = Fnv64::default();
        h.bytes(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
