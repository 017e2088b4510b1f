//! The function-like macros of the facade (`join!`, `try_join!`, `select!`) and what their
//! expansions call. The macros are `macro_rules!`; the two token helpers they need
//! (a compile error on given tokens, a pattern without binding modes) are proc macros in
//! `crest-macros`.

mod join;
mod select;

/// Not public API: what the expansions of `join!`, `try_join!` and `select!` name.
#[doc(hidden)]
pub mod __private {
    use std::cell::Cell;
    use std::hash::{BuildHasher, Hasher};

    pub use crest_macros::{__error_at as error_at, __select_clean_pattern as clean_pattern};

    std::thread_local! {
        /// xorshift64* state; 0 until first use.
        static RNG: Cell<u64> = const { Cell::new(0) };
    }

    /// A number in `0..n` (n > 0) from a per-thread xorshift64* generator, seeded from
    /// std's `RandomState` (the per-process random keys of `HashMap`), so that no crate
    /// is needed for it. Not for anything that must be unpredictable.
    pub fn random_below(n: u32) -> u32 {
        RNG.with(|state| {
            let mut x = state.get();
            if x == 0 {
                x = std::collections::hash_map::RandomState::new().build_hasher().finish() | 1;
            }
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            state.set(x);
            let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32;
            ((r * u64::from(n)) >> 32) as u32
        })
    }
}
