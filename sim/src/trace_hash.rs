//! A stable fingerprint of a run: FNV-1a (64 bit) over a canonical byte
//! encoding of the workload, the trace and every strategy's outputs.
//!
//! Never std's `RandomState` or `DefaultHasher`: their output may change
//! between Rust releases, and the hash is printed, snapshotted and compared
//! across processes. The workload and trace are written field by field, in a
//! fixed order, as little-endian integers, with lengths before sequences, so
//! that two different runs can't encode to the same bytes by shifting a
//! boundary. Each pane and dead letter is hashed as its bytes in the one
//! output encoding (`tidemark_spec::encode`, the JSON `--out` writes), so
//! the hash covers exactly the fields and values users see; a length
//! prefix keeps the objects apart.

use crate::jsonl::key_name;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use serde::Serialize;
use tidemark_spec::encode;

/// FNV-1a, 64 bit.
#[derive(Debug, Clone, Copy)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(crate::rng::FNV_OFFSET)
    }
}

impl Fnv64 {
    /// Adds raw bytes.
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = crate::rng::fnv1a(self.0, b);
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

    /// Hashes `value`'s JSON bytes, after their length; `buf` is scratch
    /// space reused between calls.
    fn json(&mut self, buf: &mut Vec<u8>, value: &impl Serialize) {
        buf.clear();
        // Serializing the encoding's plain structs to a Vec cannot fail; if
        // it did, the length would still tell the truncated bytes apart.
        let _ = serde_json::to_writer(&mut *buf, value);
        self.u64(buf.len() as u64);
        self.bytes(buf);
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
        hash_run(&mut h, workload, run);
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

fn hash_run(h: &mut Fnv64, w: &Workload, r: &StrategyRun) {
    h.str(&r.strategy);
    let mut buf = Vec::new();
    h.u64(r.panes.len() as u64);
    for p in &r.panes {
        h.json(&mut buf, &encode::pane(&key_name(w, p.key), p));
    }
    h.u64(r.dead_letters.len() as u64);
    for d in &r.dead_letters {
        h.json(
            &mut buf,
            &encode::dead_letter(&key_name(w, d.record.key), d),
        );
    }
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
