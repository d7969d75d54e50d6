//! The durable log: where the network phase ends and the processing phase
//! begins. The network (under turmoil) appends; engine workers read by
//! offset, per strategy, as often as they need (after a restart, or as a
//! second consumer replaying history).
//!
//! Each partition is a sequence of entries, offsets dense from 0, in append
//! order: the event (or a source's punctuation), and the processing time of
//! the append. A retried send that reached the log twice is two entries, as
//! with a non-idempotent producer. Without `network.log` the sources
//! append to one partition each (partition = source); with it, to the
//! key's partition. A worker reads, from each partition it consumes, the
//! entries routed to it (its keys).
//!
//! Retention decides, at a processing time, which entries can still be
//! read: those younger than `retention` and among the newest
//! `retention_entries` of their partition. A reader that needs an entry
//! past retention misses it; callers count misses, never hide them.

use crate::model::{Delivery, Trace};
use crate::scenario::RetentionSpec;
use tidemark_engine::{EventTime, ProcTime};

/// What an entry holds: read off the trace delivery it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// An event (`Workload::events` id); `duplicate` when an earlier copy
    /// of the same event was appended before it.
    Record {
        /// The event's id.
        event: u64,
        /// An earlier entry holds the same event.
        duplicate: bool,
    },
    /// A source's low watermark (punctuated strategy).
    Punctuation {
        /// The watermark asserted.
        watermark: EventTime,
    },
}

impl Payload {
    /// The payload of a trace delivery.
    #[must_use]
    pub fn of(d: &Delivery) -> Payload {
        match *d {
            Delivery::Record {
                event, duplicate, ..
            } => Payload::Record { event, duplicate },
            Delivery::Punctuation { watermark, .. } => Payload::Punctuation { watermark },
        }
    }
}

/// One appended entry: 16 bytes, since the log holds one per delivery for
/// the whole run. Everything else about it (worker, event, punctuation) is
/// in its trace delivery, [`LogEntry::delivery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogEntry {
    /// Processing time of the append.
    pub appended_at: ProcTime,
    /// Index of the matching `Trace::deliveries` item (the loader's wire
    /// budget keeps a trace far below 2^32 deliveries).
    delivery: u32,
    /// Position in its partition, dense from 0.
    offset: u32,
}

impl LogEntry {
    /// Position in its partition, dense from 0.
    #[must_use]
    pub fn offset(&self) -> u64 {
        u64::from(self.offset)
    }

    /// Index of the matching `Trace::deliveries` item.
    #[must_use]
    pub fn delivery(&self) -> usize {
        self.delivery as usize
    }
}

/// The retained log of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    partitions: Vec<Vec<LogEntry>>,
    retention_ms: Option<i64>,
    retention_entries: Option<u64>,
}

impl Log {
    /// The log the network appended in `trace`, kept per `retention`.
    #[must_use]
    pub fn from_trace(trace: &Trace, retention: RetentionSpec) -> Log {
        // Sized exactly up front: no partition grows past what it holds.
        let mut sizes = vec![0usize; trace.channels as usize];
        for d in &trace.deliveries {
            if let Some(n) = sizes.get_mut(d.channel() as usize) {
                *n += 1;
            }
        }
        let mut partitions: Vec<Vec<LogEntry>> =
            sizes.into_iter().map(Vec::with_capacity).collect();
        for (i, d) in trace.deliveries.iter().enumerate() {
            let Some(p) = partitions.get_mut(d.channel() as usize) else {
                continue;
            };
            debug_assert!(u32::try_from(i).is_ok(), "trace past the wire budget");
            p.push(LogEntry {
                appended_at: d.at(),
                delivery: i as u32,
                offset: p.len() as u32,
            });
        }
        Log {
            partitions,
            retention_ms: retention.retention.map(|d| d.ms()),
            retention_entries: retention.retention_entries,
        }
    }

    /// Number of partitions.
    #[must_use]
    pub fn partitions(&self) -> u32 {
        self.partitions.len() as u32
    }

    /// Every entry ever appended to `partition` (retained or not), by offset.
    #[must_use]
    pub fn entries(&self, partition: u32) -> &[LogEntry] {
        self.partitions
            .get(partition as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// The offset the next append to `partition` gets, as of `at`: the
    /// number of entries appended by then.
    #[must_use]
    pub fn end_offset(&self, partition: u32, at: ProcTime) -> u64 {
        self.entries(partition)
            .partition_point(|e| e.appended_at <= at) as u64
    }

    /// Whether entry `offset` of `partition` can still be read at `at`
    /// (it must have been appended by then).
    #[must_use]
    pub fn is_retained(&self, partition: u32, offset: u64, at: ProcTime) -> bool {
        let Some(e) = self.entries(partition).get(offset as usize) else {
            return false;
        };
        if e.appended_at > at {
            return false;
        }
        if let Some(r) = self.retention_ms {
            if e.appended_at.0.saturating_add(r) <= at.0 {
                return false;
            }
        }
        if let Some(n) = self.retention_entries {
            if self.end_offset(partition, at) - offset > n {
                return false;
            }
        }
        true
    }

    /// The earliest offset of `partition` still readable at `at` (the end
    /// offset when nothing is): where a consumer without a committed
    /// offset starts (`auto.offset.reset = earliest`).
    #[must_use]
    pub fn earliest_retained(&self, partition: u32, at: ProcTime) -> u64 {
        let end = self.end_offset(partition, at);
        let entries = self.entries(partition);
        let by_time = match self.retention_ms {
            Some(r) => entries[..end as usize]
                .partition_point(|e| e.appended_at.0.saturating_add(r) <= at.0)
                as u64,
            None => 0,
        };
        let by_count = self.retention_entries.map_or(0, |n| end.saturating_sub(n));
        by_time.max(by_count)
    }

    /// Whether the log drops anything at all.
    #[must_use]
    pub fn has_retention(&self) -> bool {
        self.retention_ms.is_some() || self.retention_entries.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Dur;

    fn trace(times: &[(i64, u32)]) -> Trace {
        Trace {
            deliveries: times
                .iter()
                .enumerate()
                .map(|(i, &(at, channel))| Delivery::Record {
                    at: ProcTime(at),
                    worker: 0,
                    channel,
                    event: i as u64,
                    duplicate: false,
                })
                .collect(),
            faults: Vec::new(),
            undelivered: Vec::new(),
            workers: 1,
            channels: 2,
            end: ProcTime(times.last().map_or(0, |t| t.0)),
        }
    }

    #[test]
    fn offsets_are_dense_per_partition_in_append_order() {
        let log = Log::from_trace(
            &trace(&[(0, 0), (5, 1), (7, 0), (9, 0)]),
            RetentionSpec::default(),
        );
        let offsets: Vec<(u64, i64, usize)> = log
            .entries(0)
            .iter()
            .map(|e| (e.offset(), e.appended_at.0, e.delivery()))
            .collect();
        assert_eq!(offsets, vec![(0, 0, 0), (1, 7, 2), (2, 9, 3)]);
        assert_eq!(log.entries(1)[0].offset(), 0);
        assert_eq!(log.end_offset(0, ProcTime(7)), 2);
        assert_eq!(log.end_offset(0, ProcTime(6)), 1);
    }

    #[test]
    fn retention_by_time_and_by_entries() {
        let t = trace(&[(0, 0), (10, 0), (20, 0), (30, 0)]);
        let by_time = Log::from_trace(
            &t,
            RetentionSpec {
                retention: Some(Dur(15)),
                retention_entries: None,
            },
        );
        // At 25: entries appended at 0 and 10 are 25 and 15 old: gone.
        assert!(!by_time.is_retained(0, 1, ProcTime(25)));
        assert!(by_time.is_retained(0, 2, ProcTime(25)));
        assert_eq!(by_time.earliest_retained(0, ProcTime(25)), 2);
        // Not appended yet: not readable.
        assert!(!by_time.is_retained(0, 3, ProcTime(25)));
        let by_count = Log::from_trace(
            &t,
            RetentionSpec {
                retention: None,
                retention_entries: Some(2),
            },
        );
        assert_eq!(by_count.earliest_retained(0, ProcTime(30)), 2);
        assert!(!by_count.is_retained(0, 1, ProcTime(30)));
        assert!(by_count.is_retained(0, 1, ProcTime(20)));
    }
}
