//! Giving freed memory back to the operating system between a seed's
//! phases, so the next phase's peak doesn't stack on the last one's.
//!
//! Why: glibc serves small allocations (map nodes, per-window vectors)
//! from its heap and keeps their pages when they are freed, while large
//! ones (a trace, a workload: hundreds of MB at 10M events) always get
//! fresh pages. A phase that builds many small nodes and frees them
//! (the reference checks, a strategy replay) therefore leaves its peak
//! resident under the next phase's large arrays. `malloc_trim` returns
//! the free pages inside the heap. It costs a walk over the heap's free
//! lists, a few milliseconds, and changes no value.

/// Below this many events, a phase's freed blocks come to a few megabytes
/// and handing them back costs more than it saves: a sweep runs thousands
/// of such seeds, and each trim made the next seed fault its pages in
/// again: a 10,000-event sweep spent 1.65-1.87 s of system time with
/// them against 1.02-1.25 s without, and about 3% more wall time, for the
/// same peak RSS (`docs/sim-profile.md`).
const WORTH_RELEASING: usize = 100_000;

/// Returns the allocator's free pages to the operating system (see the
/// module's note) if a seed of `events` events is big enough for its
/// phases' freed pages to matter.
pub fn release_freed_after(events: usize) {
    if events >= WORTH_RELEASING {
        release_freed();
    }
}

/// Returns the allocator's free pages to the operating system; a no-op
/// where the allocator isn't glibc's.
fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases pages glibc holds as free; it
    // touches no live allocation and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
