//! Admission: whether an element may enter a window. One rule for every
//! path (the one-record fast path, bundles, and the window a session merges
//! into), so they cannot disagree.

use crate::output::{DeadLetterReason, Key};
use crate::pipeline::Pipeline;
use crate::table::WindowTable;
use crate::time::EventTime;
use crate::window::Window;
use crate::window_state::{Slot, WindowState};
use crate::window_store::StoreEntry;

/// What `admit` decided for one window of one element.
#[derive(Debug)]
pub(crate) enum Admission<'a> {
    /// The window is open (opened now if it was new): add the element.
    Open(&'a mut WindowState),
    /// The window is open and lean (`Slot::Lean`): add to its sum.
    Lean(&'a mut i64),
    /// The window was new, and opened lean with the element in it.
    OpenedLean,
    /// Refused; the element goes to the dead letters for this window.
    Refused(DeadLetterReason),
}

impl<'a> Admission<'a> {
    /// What a known window admits: its state if open; if closed (its
    /// trigger finished), a refusal, `window closed`.
    #[inline(always)]
    pub(crate) fn of(slot: &'a mut Slot) -> Admission<'a> {
        match slot {
            Slot::Open(st) => Admission::Open(st),
            Slot::Lean(sum) => Admission::Lean(sum),
            Slot::Closed => Admission::Refused(DeadLetterReason::WindowClosed),
        }
    }
}

/// Whether `window` is past its expiry at input watermark `watermark`:
/// `watermark >= end + allowed_lateness`. The first rule of `admit`, and of
/// `admit_session`, its form for the session store.
#[inline(always)]
pub(crate) fn expired(pipeline: &Pipeline, window: Window, watermark: EventTime) -> bool {
    // KNOWN BUG (LatenessOffByOne): still admitted at the boundary.
    let boundary = EventTime(
        watermark
            .0
            .saturating_sub(i64::from(known_bug!(LatenessOffByOne))),
    );
    window.expiry(pipeline.allowed_lateness) <= boundary
}

impl WindowTable {
    /// Admits an element to `window` of `key` at input watermark
    /// `watermark`, opening the window if it is new:
    /// - expired (`watermark >= end + allowed_lateness`): refused, `window expired`;
    /// - closed (its trigger finished; Beam's finished bits): refused, `window closed`;
    /// - open: admitted;
    /// - new: opened and admitted, unless `windows_open_max` windows are
    ///   open already: refused, `state limit`.
    ///
    /// With `lean`, the element's value (the pipeline's windows may be
    /// lean, `Slot::lean_pipeline`, and the watermark is before the
    /// window's end), a new window opens lean, holding it, and a lean one
    /// is handed out as it is; otherwise a lean window is made `Open` first.
    /// (The new lean window is not handed out: with many keys, reading back
    /// the bucket just written made the next record wait on its miss.)
    ///
    /// Beam Java drops expired and closed elements silently; Tidemark
    /// dead-letters them with the reason.
    #[inline(always)]
    pub(crate) fn admit(
        &mut self,
        pipeline: &Pipeline,
        windows_open_max: u64,
        key: Key,
        window: Window,
        watermark: EventTime,
        lean: Option<i64>,
    ) -> Admission<'_> {
        if expired(pipeline, window, watermark) {
            return Admission::Refused(DeadLetterReason::WindowExpired);
        }
        // The window (mostly one of the last few: a comparison), then one
        // hash lookup of the key: when the window is already open (the
        // common case), that is all.
        match self.states.entry(key, window) {
            StoreEntry::Known(slot) => {
                if lean.is_none() {
                    slot.inflate(&window, &mut self.spare);
                }
                Admission::of(slot)
            }
            StoreEntry::Lean(entry) => match lean {
                Some(_) => Admission::Lean(entry.into_sum()),
                None => Admission::of(entry.inflate(&window, &mut self.spare)),
            },
            StoreEntry::New(v) => {
                if self.book.windows_open >= windows_open_max {
                    return Admission::Refused(DeadLetterReason::StateLimit);
                }
                let lateness = pipeline.allowed_lateness;
                let new_window = v.opens_window();
                self.book
                    .opened_in_store(key, window, watermark, lateness, new_window);
                match lean {
                    Some(value) => {
                        v.insert_lean(value);
                        Admission::OpenedLean
                    }
                    None => Admission::of(v.insert(Slot::Open(self.spare.fresh(pipeline)))),
                }
            }
        }
    }

    /// `admit`, restated for the session store (sessions are found by
    /// key, then window): expired, closed, open, or new (opened unless at
    /// the state limit); `lean` as for `admit`.
    pub(crate) fn admit_session(
        &mut self,
        pipeline: &Pipeline,
        windows_open_max: u64,
        key: Key,
        window: Window,
        watermark: EventTime,
        lean: Option<i64>,
    ) -> Admission<'_> {
        if expired(pipeline, window, watermark) {
            return Admission::Refused(DeadLetterReason::WindowExpired);
        }
        if self.sessions.get(key, window).is_none() {
            if self.book.windows_open >= windows_open_max {
                return Admission::Refused(DeadLetterReason::StateLimit);
            }
            let lateness = pipeline.allowed_lateness;
            let slot = match lean {
                Some(value) => Slot::Lean(value),
                None => Slot::Open(self.spare.fresh(pipeline)),
            };
            let entry = self.install_session(key, window, slot, watermark, lateness);
            if lean.is_some() {
                return Admission::OpenedLean;
            }
            return Admission::of(&mut entry.slot);
        }
        // Looked up again: the borrow checker does not yet accept returning
        // the first lookup's borrow on one branch only.
        match self.sessions.get_mut(key, window) {
            Some(e) => {
                if lean.is_none() {
                    e.slot.inflate(&window, &mut self.spare);
                }
                Admission::of(&mut e.slot)
            }
            None => unreachable!("{window} was found above"),
        }
    }
}
