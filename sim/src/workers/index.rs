//! Event lookup by id. Generated workloads have dense ids (`events[i].id
//! == i`), and then the workload itself is the index: no table. A shrunk
//! or hand-listed workload may have gaps, so its ids are mapped, not
//! assumed.
//!
//! Why no table when dense: every strategy replay and several checks look
//! events up by id, and a table (or map) of every event per user was a
//! large share of a 10M-event run's memory peak.

use crate::model::{Event, Workload};

/// Position of each event id in `Workload::events`.
#[derive(Debug, Clone)]
pub struct EventIndex {
    /// Indexed by id; empty when the ids are dense.
    pos: Vec<u32>,
    /// One past the largest id.
    id_end: usize,
}

const NONE: u32 = u32::MAX;

impl EventIndex {
    /// Indexes `workload`'s events.
    pub fn new(workload: &Workload) -> EventIndex {
        let events = &workload.events;
        if events.iter().enumerate().all(|(i, e)| e.id as usize == i) {
            return EventIndex {
                pos: Vec::new(),
                id_end: events.len(),
            };
        }
        let end = events.iter().map(|e| e.id as usize + 1).max().unwrap_or(0);
        let mut pos = vec![NONE; end];
        for (i, e) in events.iter().enumerate() {
            pos[e.id as usize] = i as u32;
        }
        EventIndex { pos, id_end: end }
    }

    /// One past the largest id: the size of an id-indexed table.
    pub fn id_end(&self) -> usize {
        self.id_end
    }

    /// The event with id `id`, if the workload has one. `workload` must be
    /// the one indexed.
    pub fn get<'w>(&self, workload: &'w Workload, id: u64) -> Option<&'w Event> {
        let id = usize::try_from(id).ok()?;
        if self.pos.is_empty() {
            return workload.events.get(id).filter(|e| e.id as usize == id);
        }
        let p = *self.pos.get(id)?;
        if p == NONE {
            None
        } else {
            workload.events.get(p as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidemark_engine::{EventTime, ProcTime};

    fn workload(ids: &[u64]) -> Workload {
        Workload {
            events: ids
                .iter()
                .map(|&id| Event {
                    id,
                    source: 0,
                    key: 100 + id,
                    value: 1,
                    time: EventTime(0),
                    true_time: EventTime(0),
                    sent_at: ProcTime(0),
                })
                .collect(),
            sources: vec!["s".into()],
            keys: Vec::new(),
        }
    }

    #[test]
    fn dense_ids_need_no_table() {
        let w = workload(&[0, 1, 2, 3, 4]);
        let index = EventIndex::new(&w);
        assert!(index.pos.is_empty());
        assert_eq!(index.id_end(), 5);
        assert_eq!(index.get(&w, 3).map(|e| e.key), Some(103));
        assert!(index.get(&w, 5).is_none());
        assert!(index.get(&w, u64::MAX).is_none());
    }

    #[test]
    fn ids_with_gaps_are_found_by_id_not_position() {
        // Out of id order, as a workload sorted by send time can be.
        let w = workload(&[7, 2, 40]);
        let index = EventIndex::new(&w);
        assert_eq!(index.id_end(), 41);
        assert_eq!(index.get(&w, 2).map(|e| e.key), Some(102));
        assert_eq!(index.get(&w, 40).map(|e| e.key), Some(140));
        assert!(index.get(&w, 0).is_none());
        assert!(index.get(&w, 1).is_none());
        assert!(index.get(&w, 41).is_none());
    }
}
