//! Software prefetch: with a million keys, each window's state is a cache
//! miss, and where the engine knows which states it will touch next (the
//! spare boxes it hands out, the windows it expires in key order) it asks
//! for them ahead, so that the misses overlap instead of queueing.

/// Asks the CPU to start loading every cache line of `value`; a hint, with
/// no effect on what the program computes.
#[inline]
pub(crate) fn prefetch<T>(value: &T) {
    let start = std::ptr::from_ref(value).cast::<i8>();
    for offset in (0..std::mem::size_of::<T>()).step_by(64) {
        // SAFETY: `_mm_prefetch` needs SSE, which every x86_64 CPU has,
        // and it never faults or changes memory, whatever the address;
        // `wrapping_add` stays inside (or one line past) `value` anyway.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                start.wrapping_add(offset),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = start;
}
