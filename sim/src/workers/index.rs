//! Event lookup by id. Generated workloads have dense ids (`events[i].id
//! == i`), but a shrunk workload may have gaps, so ids are mapped, not
//! assumed.

use crate::model::{Event, Workload};

/// Position of each event id in `Workload::events`.
#[derive(Debug, Clone)]
pub struct EventIndex {
    pos: Vec<u32>,
}

const NONE: u32 = u32::MAX;

impl EventIndex {
    /// Indexes `workload`'s events.
    pub fn new(workload: &Workload) -> EventIndex {
        let end = workload
            .events
            .iter()
            .map(|e| e.id as usize + 1)
            .max()
            .unwrap_or(0);
        let mut pos = vec![NONE; end];
        for (i, e) in workload.events.iter().enumerate() {
            pos[e.id as usize] = i as u32;
        }
        EventIndex { pos }
    }

    /// One past the largest id: the size of an id-indexed table.
    pub fn id_end(&self) -> usize {
        self.pos.len()
    }

    /// The event with id `id`, if the workload has one.
    pub fn get<'w>(&self, workload: &'w Workload, id: u64) -> Option<&'w Event> {
        let p = *self.pos.get(usize::try_from(id).ok()?)?;
        if p == NONE {
            None
        } else {
            workload.events.get(p as usize)
        }
    }
}
