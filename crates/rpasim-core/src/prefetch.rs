//! Cache prefetch hints: loading the state of the events about to be
//! handled while the current one is handled. With thousands of flows and
//! targets, a run's first touch of its flow, target and machine is a miss
//! to the last-level cache; asked for early, it is not waited for.
//!
//! A hint changes no result (it cannot fault and loads nothing visible),
//! so determinism does not depend on it; on other architectures it is a
//! no-op.

/// Asks the CPU to bring the first `lines` cache lines that `value` spans
/// into the cache (at most all of them: a value that does not start on a
/// line's boundary spans one more than its size alone says).
#[inline(always)]
pub fn prefetch<T: ?Sized>(value: &T, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = (value as *const T).cast::<i8>();
        let offset = p as usize % 64;
        let lines = lines.min((offset + size_of_val(value)).div_ceil(64));
        // From the start of the first line: the offsets below stay in
        // the lines the value spans.
        let p = p.wrapping_sub(offset);
        for i in 0..lines {
            // SAFETY: a prefetch is a hint; it never faults, whatever the
            // address, and `sse` is part of the x86_64 baseline.
            #[allow(unsafe_code)]
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i * 64))
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (value, lines);
}
