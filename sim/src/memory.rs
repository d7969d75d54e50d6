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

/// Returns the allocator's free pages to the operating system; a no-op
/// where the allocator isn't glibc's.
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only releases pages glibc holds as free; it
    // touches no live allocation and is safe to call at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}
