//! A stable fingerprint of a run: XXH3 (64 bit) over a canonical byte
//! encoding of the workload, the trace and every strategy's outputs.
//!
//! Never std's `RandomState` or `DefaultHasher`: their output may change
//! between Rust releases, and the hash is printed, snapshotted and compared
//! across processes. XXH3 is a published, fixed function. The workload and
//! trace are written field by field, in a fixed order, as little-endian
//! integers, with lengths before sequences, so that two different runs
//! can't encode to the same bytes by shifting a boundary. Each pane and
//! dead letter is hashed as its bytes in the one output encoding
//! (`tidemark_spec::encode`, the JSON `--out` writes), so the hash covers
//! exactly the fields and values users see; a length prefix keeps the
//! objects apart.
//!
//! A sweep fingerprints every seed twice (the determinism check compares
//! the two), about a megabyte each for the bench's 10,000 events. FNV-1a,
//! one dependent multiply per byte, took 11.4% of a sweep seed's samples
//! there (one-thread profile); XXH3 reads eight bytes at a step on
//! independent lanes (`docs/sim-profile.md`).

use crate::jsonl::key_name;
use crate::model::{Delivery, StrategyRun, Trace, Workload};
use serde::Serialize;
use tidemark_spec::encode;
use xxhash_rust::xxh3::Xxh3Default;

/// Bytes gathered before they go to the hasher: the encoding comes eight
/// bytes at a time, and a call into the streaming hasher per field would
/// cost more than the hashing.
const BLOCK: usize = 16 * 1024;

/// XXH3 (64 bit, seed 0) of the bytes written.
struct Fingerprint {
    state: Xxh3Default,
    pending: Vec<u8>,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint {
            state: Xxh3Default::new(),
            pending: Vec::with_capacity(BLOCK),
        }
    }
}

impl Fingerprint {
    /// Adds raw bytes.
    fn bytes(&mut self, bytes: &[u8]) {
        if self.pending.len() + bytes.len() > BLOCK {
            self.state.update(&self.pending);
            self.pending.clear();
            if bytes.len() >= BLOCK {
                self.state.update(bytes);
                return;
            }
        }
        self.pending.extend_from_slice(bytes);
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

    /// The hash of everything written.
    fn finish(mut self) -> u64 {
        self.state.update(&self.pending);
        self.state.digest()
    }
}

/// The run's fingerprint, as 16 hex digits.
#[must_use]
pub fn run_hash(workload: &Workload, trace: &Trace, runs: &[StrategyRun]) -> String {
    let mut h = Fingerprint::default();
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
    let mut h = Fingerprint::default();
    hash_workload(&mut h, workload);
    hash_trace(&mut h, trace);
    format!("{:016x}", h.finish())
}

fn hash_workload(h: &mut Fingerprint, w: &Workload) {
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

fn hash_trace(h: &mut Fingerprint, t: &Trace) {
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

fn hash_run(h: &mut Fingerprint, w: &Workload, r: &StrategyRun) {
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
    fn xxh3_is_pinned() {
        // XXH3-64 of no bytes, seed 0: the published test vector.
        assert_eq!(Fingerprint::default().finish(), 0x2d06_8005_38d3_94c2);
    }

    #[test]
    fn blocks_do_not_change_the_hash() {
        // Small writes that cross many block boundaries, an empty write, a
        // write bigger than a block, one of exactly a block, and the tail:
        // the same as hashing the bytes whole.
        let whole: Vec<u8> = (0..3 * BLOCK + 77).map(|i| (i * 31 % 251) as u8).collect();
        let mut h = Fingerprint::default();
        let (small, rest) = whole.split_at(BLOCK + 5);
        small.chunks(7).for_each(|c| h.bytes(c));
        h.bytes(&[]);
        let (big, rest) = rest.split_at(BLOCK + 1);
        h.bytes(big);
        let (exact, tail) = rest.split_at(BLOCK);
        h.bytes(exact);
        h.bytes(tail);
        assert_eq!(h.finish(), xxhash_rust::xxh3::xxh3_64(&whole));
    }
}
