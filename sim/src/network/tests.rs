//! The network's contract, checked on small hand-built workloads: exactly
//! once when lossless, duplicates but no loss with retries, determinism per
//! seed, fates keyed per message, partitions delaying delivery.

use super::*;
use crate::model::{Delivery, Event, Trace, Workload};
use crate::scenario::{Dur, LatencyRange};
use tidemark_engine::{EventTime, ProcTime};

/// `n` events from `sources` sources, one every `gap_ms`, round-robin.
pub(crate) fn workload(n: u64, sources: u32, gap_ms: i64) -> Workload {
    let events = (0..n)
        .map(|id| {
            let t = id as i64 * gap_ms;
            Event {
                id,
                source: (id % u64::from(sources)) as u32,
                key: id % 7,
                value: 1,
                time: EventTime(t),
                true_time: EventTime(t),
                sent_at: ProcTime(t),
            }
        })
        .collect();
    Workload {
        events,
        sources: (0..sources).map(|s| format!("s{s}")).collect(),
        keys: (0..7).map(|k| format!("k{k}")).collect(),
    }
}

fn records(t: &Trace) -> Vec<(i64, u64, bool)> {
    t.deliveries
        .iter()
        .filter_map(|d| match *d {
            Delivery::Record {
                at,
                event,
                duplicate,
                ..
            } => Some((at.0, event, duplicate)),
            Delivery::Punctuation { .. } => None,
        })
        .collect()
}

fn lossy(loss: f64, attempts: u32) -> NetConfig {
    let mut c = NetConfig::lossless(0);
    c.default_link = LinkParams {
        latency: Latency::Uniform(LatencyRange {
            min: Dur(1),
            max: Dur(40),
        }),
        loss,
    };
    c.retry = Retry {
        timeout_ms: 100,
        attempts_max: attempts,
    };
    c
}

#[test]
fn lossless_constant_latency_delivers_each_event_once_in_order() {
    let mut w = workload(200, 3, 5);
    let t = deliver_with(&NetConfig::lossless(20), &mut w, 1).expect("settles");
    let got = records(&t);
    assert_eq!(got.len(), 200);
    for (i, &(at, event, duplicate)) in got.iter().enumerate() {
        assert_eq!(event, i as u64, "sent order kept");
        assert!(!duplicate);
        // Exactly the latency, whatever turmoil's tick.
        assert_eq!(at, w.events[i].sent_at.0 + 20, "event {event}");
    }
    assert!(t.undelivered.is_empty());
    assert!(t.faults.is_empty());
}

#[test]
fn retries_turn_lost_acks_into_duplicates_and_lose_nothing() {
    let mut w = workload(300, 2, 3);
    let t = deliver_with(&lossy(0.2, 30), &mut w, 7).expect("settles");
    let got = records(&t);
    let firsts = got.iter().filter(|r| !r.2).count();
    let dups = got.iter().filter(|r| r.2).count();
    assert_eq!(firsts, 300, "every event arrives");
    assert!(dups > 0, "lost acks cause duplicates");
    assert!(t.undelivered.is_empty());
    assert!(t.faults.iter().any(|f| f.what.contains("duplicate")));
}

#[test]
fn without_retries_losses_are_undelivered() {
    let mut w = workload(300, 2, 3);
    let t = deliver_with(&lossy(0.2, 1), &mut w, 7).expect("settles");
    assert!(!t.undelivered.is_empty());
    assert!(records(&t).iter().all(|r| !r.2), "no retry, no duplicate");
    assert_eq!(records(&t).len() + t.undelivered.len(), 300);
}

#[test]
fn the_same_seed_gives_the_same_trace_and_another_seed_another() {
    let mut w = workload(150, 3, 4);
    let c = lossy(0.1, 5);
    let a = deliver_with(&c, &mut w, 11).expect("settles");
    let b = deliver_with(&c, &mut w, 11).expect("settles");
    let d = deliver_with(&c, &mut w, 12).expect("settles");
    assert_eq!(a, b);
    assert_ne!(a, d);
}

/// Per event: (first arrival − sent_at, copies, delivered).
fn fates(w: &Workload, t: &Trace) -> Vec<(u64, Option<i64>, usize)> {
    let mut out: Vec<(u64, Option<i64>, usize)> =
        w.events.iter().map(|e| (e.id, None, 0)).collect();
    for (at, event, _) in records(t) {
        let i = w
            .events
            .iter()
            .position(|e| e.id == event)
            .expect("known event");
        let slot = &mut out[i];
        slot.1.get_or_insert(at - w.events[i].sent_at.0);
        slot.2 += 1;
    }
    out
}

#[test]
fn removing_one_event_leaves_the_others_fates_unchanged() {
    let mut w = workload(200, 3, 7);
    let c = lossy(0.15, 3);
    let full = deliver_with(&c, &mut w, 5).expect("settles");
    let mut fewer = w.clone();
    fewer.events.retain(|e| e.id != 57);
    let part = deliver_with(&c, &mut fewer, 5).expect("settles");
    let mut expected = fates(&w, &full);
    expected.retain(|f| f.0 != 57);
    assert_eq!(fates(&fewer, &part), expected);
}

#[test]
fn a_partition_delays_delivery_until_repair() {
    let mut w = workload(100, 1, 10);
    let mut c = NetConfig::lossless(5);
    c.retry = Retry {
        timeout_ms: 50,
        attempts_max: 100,
    };
    c.faults.push(ScheduledFault {
        kind: FaultKind::Partition,
        at_ms: 200,
        for_ms: 300,
        from: "s0".into(),
        to: "engine".into(),
    });
    let t = deliver_with(&c, &mut w, 3).expect("settles");
    for (at, event, _) in records(&t) {
        assert!(
            !(200..500).contains(&at),
            "event {event} arrived at {at} during the partition"
        );
    }
    assert!(t.undelivered.is_empty());
    let late = records(&t)
        .iter()
        .filter(|r| !r.2 && (200..500).contains(&w.events[r.1 as usize].sent_at.0))
        .map(|r| r.0)
        .min();
    assert!(late.is_some_and(|at| at >= 500));
    assert!(t.faults.iter().any(|f| f.what.contains("repaired")));
}

#[test]
fn a_hold_releases_everything_at_once() {
    let mut w = workload(50, 1, 10);
    let mut c = NetConfig::lossless(0);
    c.retry = Retry {
        timeout_ms: 1_000,
        attempts_max: 2,
    };
    c.faults.push(ScheduledFault {
        kind: FaultKind::Hold,
        at_ms: 100,
        for_ms: 200,
        from: "s0".into(),
        to: "engine".into(),
    });
    let t = deliver_with(&c, &mut w, 3).expect("settles");
    for (at, event, _) in records(&t) {
        // Held from 100 until 300: released exactly then.
        let sent = w.events[event as usize].sent_at.0;
        let want = if (100..300).contains(&sent) {
            300
        } else {
            sent
        };
        assert_eq!(at, want, "event {event}");
    }
    assert_eq!(records(&t).iter().filter(|r| !r.2).count(), 50);
}

#[test]
fn a_permanent_partition_before_the_log_loses_events_without_hanging() {
    let mut w = workload(10, 1, 10);
    let mut c = NetConfig::lossless(0);
    c.retry = Retry {
        timeout_ms: 10,
        attempts_max: 3,
    };
    c.log_partitions = Some(1);
    c.settle_ms_max = 5_000;
    c.faults.push(ScheduledFault {
        kind: FaultKind::Partition,
        at_ms: 0,
        for_ms: 1_000_000_000,
        from: "s0".into(),
        to: "log".into(),
    });
    // Senders give up and nothing retries after the log (consumers read
    // it in the processing phase), so the network settles.
    let t = deliver_with(&c, &mut w, 3).expect("settles");
    assert_eq!(t.undelivered.len(), 10);
    assert!(t.deliveries.is_empty());
}

#[test]
fn through_a_log_every_event_arrives_on_its_partition_channel() {
    let mut w = workload(300, 3, 2);
    let mut c = lossy(0.1, 20);
    c.log_partitions = Some(4);
    c.workers = 2;
    c.punctuation_interval_ms = Some(50);
    let t = deliver_with(&c, &mut w, 9).expect("settles");
    let topo = Topology {
        sources: 3,
        workers: 2,
        log_partitions: Some(4),
    };
    assert_eq!(t.channels, 4);
    let mut firsts = 0;
    for d in &t.deliveries {
        match *d {
            Delivery::Record {
                worker,
                channel,
                event,
                duplicate,
                ..
            } => {
                let key = w.events[event as usize].key;
                assert_eq!(channel, topo.partition_of(key));
                assert_eq!(worker, topo.worker_of(key));
                firsts += usize::from(!duplicate);
            }
            Delivery::Punctuation {
                worker, channel, ..
            } => {
                assert_eq!(worker, topo.worker_of_partition(channel));
            }
        }
    }
    assert_eq!(firsts, 300);
    assert!(t.deliveries.iter().any(
        |d| matches!(d, Delivery::Punctuation { watermark, .. } if *watermark == EventTime::MAX)
    ));
}

#[test]
fn punctuations_never_pass_an_event_that_has_not_arrived() {
    let mut w = workload(200, 2, 5);
    let mut c = lossy(0.1, 10);
    c.punctuation_interval_ms = Some(20);
    let t = deliver_with(&c, &mut w, 4).expect("settles");
    let mut arrived = [false; 200];
    for d in &t.deliveries {
        match *d {
            Delivery::Record { event, .. } => arrived[event as usize] = true,
            Delivery::Punctuation {
                channel, watermark, ..
            } => {
                // A source only moves its mark past acknowledged events,
                // and an ack follows arrival, so even with varying latency
                // everything behind the mark has arrived.
                for e in w.events.iter().filter(|e| e.source == channel) {
                    assert!(
                        arrived[e.id as usize] || e.time >= watermark,
                        "punctuation {watermark} passed event {} before it arrived",
                        e.id
                    );
                }
            }
        }
    }
}

/// The traces of `c` with a 1ms tick and with the tick it picks itself.
fn fine_and_coarse(c: &NetConfig, w: &mut Workload, seed: u64) -> (Trace, Trace) {
    let mut fine = c.clone();
    fine.tick_ms = Some(1);
    assert!(c.tick() > 1, "the test needs a coarse tick");
    let a = deliver_with(&fine, w, seed).expect("settles");
    let b = deliver_with(c, w, seed).expect("settles");
    (a, b)
}

#[test]
fn arrival_times_and_retries_do_not_depend_on_the_tick() {
    let mut w = workload(400, 3, 3);
    let mut c = lossy(0.2, 30);
    c.workers = 2;
    let (fine, coarse) = fine_and_coarse(&c, &mut w, 13);
    assert!(records(&fine).iter().any(|r| r.2), "some duplicates");
    assert_eq!(fine, coarse);

    // Through a log (appends are the deliveries).
    c.log_partitions = Some(3);
    let (fine, coarse) = fine_and_coarse(&c, &mut w, 14);
    assert_eq!(fine, coarse);

    // Without retries, late acks make the sender give up.
    let c = lossy(0.1, 1);
    let (fine, coarse) = fine_and_coarse(&c, &mut w, 15);
    assert!(!fine.undelivered.is_empty());
    assert_eq!(fine, coarse);
}

#[test]
fn faults_take_effect_at_their_exact_times_whatever_the_tick() {
    let mut w = workload(300, 3, 4);
    let mut c = lossy(0.1, 40);
    c.groups = vec![("g".into(), vec![0, 1, 2])];
    // Whole-group faults (turmoil's too), one source's (its group host's
    // alone), overlapping partitions and holds on one link.
    for (kind, from, to) in [
        (FaultKind::Partition, "g", "engine"),
        (FaultKind::Hold, "engine", "g"),
        (FaultKind::Partition, "s1", "engine"),
        (FaultKind::Hold, "s2", "engine"),
    ] {
        for (at_ms, for_ms) in [(300, 200), (700, 100)] {
            c.faults.push(ScheduledFault {
                kind,
                at_ms,
                for_ms,
                from: from.into(),
                to: to.into(),
            });
        }
    }
    for seed in 17..20 {
        let (fine, coarse) = fine_and_coarse(&c, &mut w, seed);
        assert_eq!(fine, coarse, "seed {seed}");
    }
    // Through a log, with a hold between it and the engine.
    c.log_partitions = Some(2);
    c.faults.push(ScheduledFault {
        kind: FaultKind::Hold,
        at_ms: 900,
        for_ms: 300,
        from: "log".into(),
        to: "engine".into(),
    });
    for seed in 17..20 {
        let (fine, coarse) = fine_and_coarse(&c, &mut w, seed);
        assert_eq!(fine, coarse, "seed {seed} with a log");
    }
}

/// Sources sharing one turmoil host (ungrouped, as the bench's are) or
/// each on its own (a group apiece) give the same trace: every sender
/// applies latency, loss and faults per message itself.
#[test]
fn sharing_a_host_changes_no_trace() {
    let mut w = workload(300, 3, 4);
    let mut shared = lossy(0.1, 40);
    for (kind, from, to) in [
        (FaultKind::Partition, "s1", "engine"),
        (FaultKind::Hold, "engine", "s2"),
        (FaultKind::Partition, "s0", "engine"),
    ] {
        shared.faults.push(ScheduledFault {
            kind,
            at_ms: 300,
            for_ms: 200,
            from: from.into(),
            to: to.into(),
        });
    }
    let mut apart = shared.clone();
    apart.groups = (0..3).map(|s| (format!("own{s}"), vec![s])).collect();
    for log in [None, Some(2)] {
        let (mut shared, mut apart) = (shared.clone(), apart.clone());
        shared.log_partitions = log;
        apart.log_partitions = log;
        for seed in 21..24 {
            let a = deliver_with(&shared, &mut w, seed).expect("settles");
            let b = deliver_with(&apart, &mut w, seed).expect("settles");
            assert!(records(&a).iter().any(|r| r.2), "some duplicates");
            assert_eq!(a, b, "seed {seed}, log {log:?}");
        }
    }
}

#[test]
fn a_partition_of_one_source_spares_the_rest_of_its_group() {
    let mut w = workload(150, 3, 4);
    let mut c = NetConfig::lossless(5);
    c.retry = Retry {
        timeout_ms: 40,
        attempts_max: 100,
    };
    c.groups = vec![("g".into(), vec![0, 1, 2])];
    c.faults.push(ScheduledFault {
        kind: FaultKind::Partition,
        at_ms: 200,
        for_ms: 200,
        from: "s1".into(),
        to: "engine".into(),
    });
    let t = deliver_with(&c, &mut w, 3).expect("settles");
    assert!(t.undelivered.is_empty());
    for (at, event, duplicate) in records(&t) {
        let e = &w.events[event as usize];
        if e.source == 1 {
            assert!(!(200..400).contains(&at), "event {event} at {at}");
        } else {
            assert_eq!((at, duplicate), (e.sent_at.0 + 5, false), "event {event}");
        }
    }
}

#[test]
fn one_ingress_host_delivers_each_message_to_the_worker_it_names() {
    // Every worker is served by one turmoil host: the datagram, not the
    // host, says which worker it is for. Records must reach the key's
    // worker, punctuations every worker, and a partition between a
    // source and `engine` must cut it off from all of them.
    let mut w = workload(400, 3, 5);
    let mut c = lossy(0.2, 50);
    c.workers = 64;
    c.punctuation_interval_ms = Some(100);
    c.faults.push(ScheduledFault {
        kind: FaultKind::Partition,
        at_ms: 500,
        for_ms: 400,
        from: "s1".into(),
        to: "engine".into(),
    });
    let t = deliver_with(&c, &mut w, 11).expect("settles");
    assert!(t.undelivered.is_empty());
    let topo = Topology::new(&c, 3);
    let mut punctuated = [[false; 3]; 64];
    for d in &t.deliveries {
        match *d {
            Delivery::Record {
                at,
                worker,
                channel,
                event,
                ..
            } => {
                let e = w.events[event as usize];
                assert_eq!(worker, topo.worker_of(e.key), "event {event}");
                assert_eq!(channel, e.source, "event {event}");
                assert!(
                    e.source != 1 || !(500..900).contains(&at.0),
                    "event {event} of s1 arrived at {} during the partition",
                    at.0
                );
            }
            Delivery::Punctuation {
                worker, channel, ..
            } => punctuated[worker as usize][channel as usize] = true,
        }
    }
    assert!(punctuated.iter().all(|p| p.iter().all(|&x| x)));
}
