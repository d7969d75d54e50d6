//! The sink between the engine workers and downstream: what a consumer of
//! the pipeline's output sees, by delivery guarantee.
//!
//! - at-least-once: a pane is visible when fired; a worker that restarts
//!   from a checkpoint fires again what it fired after it, so downstream
//!   sees those panes twice (counted, by (key, window, pane index,
//!   retraction)).
//! - exactly-once: a two-phase commit per checkpoint (as Flink's
//!   `TwoPhaseCommitSinkFunction`): panes fired before a checkpoint's
//!   snapshot are pre-committed with it and become visible when it
//!   completes; a crash aborts what is not committed.
//! - idempotent: an upsert keyed by (key, window, pane index, retraction):
//!   a replayed pane overwrites its first copy in place.

use crate::scenario::SinkSpec;
use std::collections::BTreeMap;
use tidemark_engine::{Key, Pane, ProcTime, Window};

type PaneId = (Key, Window, u64, bool);

fn id(p: &Pane) -> PaneId {
    (p.key, p.window, p.info.index, p.retraction)
}

pub(super) struct Sink {
    kind: SinkSpec,
    pub(super) visible: Vec<Pane>,
    pub(super) visible_at: Vec<ProcTime>,
    seen: BTreeMap<PaneId, usize>,
    /// Per visible pane: the worker and checkpoint epoch that fired it.
    origin: Vec<(usize, u64)>,
    /// Per visible pane: fired by an incarnation whose work after its last
    /// checkpoint was lost in a crash (the restored worker fires it again).
    pub(super) replayed: Vec<bool>,
    pub(super) duplicates: u64,
    pub(super) overwrites: u64,
    /// Exactly-once: per worker, panes not yet committed, with the
    /// checkpoint epoch that will commit them.
    pending: Vec<Vec<(u64, Pane)>>,
}

impl Sink {
    pub(super) fn new(kind: SinkSpec, workers: usize) -> Sink {
        Sink {
            kind,
            visible: Vec::new(),
            visible_at: Vec::new(),
            seen: BTreeMap::new(),
            origin: Vec::new(),
            replayed: Vec::new(),
            duplicates: 0,
            overwrites: 0,
            pending: vec![Vec::new(); workers],
        }
    }

    /// Worker `w` fired `pane` at `at`, in checkpoint epoch `epoch`.
    pub(super) fn emit(&mut self, w: usize, epoch: u64, pane: Pane, at: ProcTime) {
        match self.kind {
            SinkSpec::ExactlyOnce => self.pending[w].push((epoch, pane)),
            SinkSpec::AtLeastOnce => self.show(pane, at, (w, epoch)),
            SinkSpec::Idempotent => match self.seen.get(&id(&pane)) {
                Some(&i) => {
                    self.overwrites += 1;
                    self.visible[i] = pane;
                    self.visible_at[i] = at;
                    self.origin[i] = (w, epoch);
                    self.replayed[i] = false;
                }
                None => self.show(pane, at, (w, epoch)),
            },
        }
    }

    fn show(&mut self, pane: Pane, at: ProcTime, origin: (usize, u64)) {
        let i = self.visible.len();
        if self.seen.insert(id(&pane), i).is_some() {
            self.duplicates += 1;
        }
        self.visible.push(pane);
        self.visible_at.push(at);
        self.origin.push(origin);
        self.replayed.push(false);
    }

    /// Worker `w` restarted from the checkpoint of `epoch` (`None`: from
    /// scratch): what it showed after that checkpoint is dead history.
    pub(super) fn rewound(&mut self, w: usize, epoch: Option<u64>) {
        for (i, &(ow, oe)) in self.origin.iter().enumerate() {
            if ow == w && epoch.is_none_or(|e| oe > e) {
                self.replayed[i] = true;
            }
        }
    }

    /// Worker `w`'s checkpoint of `epoch` completed at `at`: what it
    /// pre-committed becomes visible.
    pub(super) fn commit(&mut self, w: usize, epoch: u64, at: ProcTime) {
        let pending = std::mem::take(&mut self.pending[w]);
        let (done, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(e, _)| *e <= epoch);
        self.pending[w] = rest;
        for (e, pane) in done {
            self.show(pane, at, (w, e));
        }
    }

    /// Worker `w` crashed: its open transaction is aborted.
    pub(super) fn abort(&mut self, w: usize) {
        self.pending[w].clear();
    }
}
