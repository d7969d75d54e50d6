//! Partitions and holds that name some but not all sources of a group.
//!
//! A group's sources share one turmoil host (an idle phone then costs
//! nothing per tick), so turmoil can't cut one phone off while its
//! neighbours keep talking. The group host applies these faults itself, at
//! the exact intended times: a datagram meant to arrive while its source is
//! partitioned from the peer is dropped (so the sender retries), one meant
//! to arrive while held arrives when the hold ends. Acks coming back are
//! treated the same way, as turmoil would treat them on a real link.

use super::config::FaultKind;

/// One fault between one source and one destination (a worker index, or
/// the log as index `workers`), over `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalFault {
    /// The destination it cuts off.
    pub dest: u32,
    /// Partition or hold.
    pub kind: FaultKind,
    /// Start, in exact processing time.
    pub from: i64,
    /// End (exclusive).
    pub until: i64,
}

/// When a datagram meant to arrive at `t` between a source and `dest`
/// really arrives under `faults`: `None` when a partition drops it (a
/// partition wins over a hold at the same time), the end of the hold(s)
/// covering `t` when held, else `t`.
pub fn pass(faults: &[LocalFault], dest: u32, mut t: i64) -> Option<i64> {
    let covers = |f: &&LocalFault, t: i64| f.dest == dest && f.from <= t && t < f.until;
    loop {
        let on_link = faults.iter().filter(|f| covers(f, t));
        if on_link.clone().any(|f| f.kind == FaultKind::Partition) {
            return None;
        }
        // Held until the last covering hold ends, which may fall into
        // another fault: look again from there (`t` only grows, so this
        // ends).
        match on_link.map(|f| f.until).max() {
            Some(end) => t = end,
            None => return Some(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_drop_and_holds_defer() {
        let f = [
            LocalFault {
                dest: 0,
                kind: FaultKind::Hold,
                from: 10,
                until: 20,
            },
            LocalFault {
                dest: 0,
                kind: FaultKind::Hold,
                from: 20,
                until: 25,
            },
            LocalFault {
                dest: 1,
                kind: FaultKind::Partition,
                from: 10,
                until: 20,
            },
        ];
        assert_eq!(pass(&f, 0, 9), Some(9));
        assert_eq!(pass(&f, 0, 10), Some(25));
        assert_eq!(pass(&f, 0, 25), Some(25));
        assert_eq!(pass(&f, 1, 19), None);
        assert_eq!(pass(&f, 1, 20), Some(20));
        assert_eq!(pass(&f, 2, 15), Some(15));
        let mut both = f.to_vec();
        both.push(LocalFault {
            dest: 0,
            kind: FaultKind::Partition,
            from: 24,
            until: 30,
        });
        assert_eq!(pass(&both, 0, 10), None, "held into a partition");
    }
}
