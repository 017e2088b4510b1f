//! `crest::select!`: wait on several futures at once, run the handler of the first that
//! finishes with a matching output, drop the rest.
//!
//! Parsing is `macro_rules!` (rustc's own `pat`/`expr` parsers find where each part ends),
//! one branch at a time; each branch is given a number, a type parameter name and a
//! variable name from a list of 64. The expansion pins each branch's future on the stack
//! (`core::pin::pin!`, no allocation, no `unsafe` in the user's crate), polls them from a
//! random start (from branch 0 with `biased;`), and leaves the block that owns the futures
//! before the handler runs, so a handler may use what the futures borrowed, and `break`,
//! `continue`, `return` and `?` in a handler act on the code around the `select!`.

/// Waits on several futures at once and runs the handler of the first one to finish.
///
/// The syntax and the rules are tokio's:
///
/// ```text
/// crest::select! {
///     biased;                                   // optional: poll branches in order
///     <pattern> = <future> (, if <condition>)? => <handler>,
///     ...
///     else => <handler>                         // optional
/// }
/// ```
///
/// 1. Every `if` condition is evaluated; a branch whose condition is false is disabled.
/// 2. Every future expression is evaluated (also those of disabled branches).
/// 3. The enabled futures are polled, starting from a random branch (from the first with
///    `biased;`), until one finishes. If its output matches its pattern, the other futures
///    are dropped and its handler runs with the pattern's bindings; otherwise that branch is
///    disabled and the others go on.
/// 4. When every branch is disabled, the `else` handler runs; without `else`, `select!`
///    panics.
///
/// Futures are polled in place: nothing is allocated per branch. At most 64 branches.
///
/// ```
/// use std::time::Duration;
///
/// crest::block_on(async {
///     let (tx, rx) = std::sync::mpsc::channel::<u32>();
///     let mut ticks = 0;
///     let message = crest::spawn(async move {
///         crest::time::sleep(Duration::from_millis(30)).await;
///         tx.send(7).unwrap();
///     });
///     let mut message = Some(message);
///     loop {
///         crest::select! {
///             Some(Ok(())) = async { message.as_mut()?.await.into() }, if message.is_some() => {
///                 message = None;
///                 assert_eq!(rx.recv().unwrap(), 7);
///             }
///             _ = crest::time::sleep(Duration::from_millis(5)) => ticks += 1,
///         }
///         if message.is_none() {
///             break;
///         }
///     }
///     assert!(ticks >= 1);
/// });
/// ```
///
/// With `biased;` the first ready branch in written order wins:
///
/// ```
/// crest::block_on(async {
///     let picked = crest::select! {
///         biased;
///         v = async { 1 } => v,
///         v = async { 2 } => v,
///     };
///     assert_eq!(picked, 1);
/// });
/// ```
///
/// A branch whose output does not match its pattern is disabled; `else` runs when none is
/// left:
///
/// ```
/// crest::block_on(async {
///     let out = crest::select! {
///         Some(v) = async { None::<u8> } => v,
///         Ok(v) = async { Err::<u8, ()>(()) } => v,
///         else => 0,
///     };
///     assert_eq!(out, 0);
/// });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($rest:tt)*) => {
        $crate::__select_parse!(@start true; $($rest)*)
    };
    ($($rest:tt)*) => {
        $crate::__select_parse!(@start false; $($rest)*)
    };
}

/// Not public API: `select!`'s parser, one branch per step.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    (@start $biased:tt; ) => {
        $crate::__private::error_at! { "crest::select! needs at least one branch: `pattern = future => handler`"; }
    };
    (@start $biased:tt; $($rest:tt)*) => {
        $crate::__select_parse!(@ $biased; []; [(0 B0 f0 o0) (1 B1 f1 o1) (2 B2 f2 o2) (3 B3 f3 o3) (4 B4 f4 o4) (5 B5 f5 o5) (6 B6 f6 o6) (7 B7 f7 o7) (8 B8 f8 o8) (9 B9 f9 o9) (10 B10 f10 o10) (11 B11 f11 o11) (12 B12 f12 o12) (13 B13 f13 o13) (14 B14 f14 o14) (15 B15 f15 o15) (16 B16 f16 o16) (17 B17 f17 o17) (18 B18 f18 o18) (19 B19 f19 o19) (20 B20 f20 o20) (21 B21 f21 o21) (22 B22 f22 o22) (23 B23 f23 o23) (24 B24 f24 o24) (25 B25 f25 o25) (26 B26 f26 o26) (27 B27 f27 o27) (28 B28 f28 o28) (29 B29 f29 o29) (30 B30 f30 o30) (31 B31 f31 o31) (32 B32 f32 o32) (33 B33 f33 o33) (34 B34 f34 o34) (35 B35 f35 o35) (36 B36 f36 o36) (37 B37 f37 o37) (38 B38 f38 o38) (39 B39 f39 o39) (40 B40 f40 o40) (41 B41 f41 o41) (42 B42 f42 o42) (43 B43 f43 o43) (44 B44 f44 o44) (45 B45 f45 o45) (46 B46 f46 o46) (47 B47 f47 o47) (48 B48 f48 o48) (49 B49 f49 o49) (50 B50 f50 o50) (51 B51 f51 o51) (52 B52 f52 o52) (53 B53 f53 o53) (54 B54 f54 o54) (55 B55 f55 o55) (56 B56 f56 o56) (57 B57 f57 o57) (58 B58 f58 o58) (59 B59 f59 o59) (60 B60 f60 o60) (61 B61 f61 o61) (62 B62 f62 o62) (63 B63 f63 o63)]; $($rest)*)
    };
    // `else` only: no branch.
    (@ $biased:tt; []; $ids:tt; else => $($rest:tt)*) => {
        $crate::__private::error_at! { "crest::select! needs at least one branch before `else`: `pattern = future => handler`"; else }
    };
    // The end, with or without `else`.
    (@ $biased:tt; $branches:tt; $ids:tt; else => $else:expr $(,)?) => {
        $crate::__select_expand!($biased; $branches; $else)
    };
    (@ $biased:tt; $branches:tt; $ids:tt; ) => {
        $crate::__select_expand!(
            $biased;
            $branches;
            ::core::panic!("all branches of crest::select! are disabled and there is no `else` branch")
        )
    };
    (@ $biased:tt; $branches:tt; $ids:tt; else => $else:expr, $($rest:tt)+) => {
        $crate::__private::error_at! { "`else` must be the last branch of crest::select!"; $($rest)+ }
    };
    (@ $biased:tt; $branches:tt; []; $($rest:tt)+) => {
        $crate::__private::error_at! { "crest::select! takes at most 64 branches"; $($rest)+ }
    };
    // A future with no pattern: rustc's pattern parser would stop at the keyword.
    (@ $biased:tt; $branches:tt; $ids:tt; async $($rest:tt)*) => {
        $crate::__private::error_at! { "a crest::select! branch starts with a pattern: write `_ = async { ... } => handler`, not `async { ... }` alone"; $($rest)* }
    };
    // A branch: `pattern = future (, if condition)? => handler`, the handler a block
    // (a comma after it is optional) or an expression (a comma after it is needed, except
    // last).
    (@ $biased:tt; [$($branches:tt)*]; [$id:tt $($ids:tt)*];
        $p:pat = $f:expr $(, if $c:expr)? => $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@ $biased; [$($branches)* [$id ($p) ($f) ($($c)?) ($h)]]; [$($ids)*]; $($rest)*)
    };
    (@ $biased:tt; [$($branches:tt)*]; [$id:tt $($ids:tt)*];
        $p:pat = $f:expr $(, if $c:expr)? => $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@ $biased; [$($branches)* [$id ($p) ($f) ($($c)?) ($h)]]; [$($ids)*]; $($rest)*)
    };
    (@ $biased:tt; [$($branches:tt)*]; [$id:tt $($ids:tt)*];
        $p:pat = $f:expr $(, if $c:expr)? => $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@ $biased; [$($branches)* [$id ($p) ($f) ($($c)?) ($h)]]; [$($ids)*]; $($rest)*)
    };
    (@ $biased:tt; [$($branches:tt)*]; [$id:tt $($ids:tt)*];
        $p:pat = $f:expr $(, if $c:expr)? => $h:expr) => {
        $crate::__select_parse!(@ $biased; [$($branches)* [$id ($p) ($f) ($($c)?) ($h)]]; [$($ids)*]; )
    };
    (@ $biased:tt; $branches:tt; $ids:tt; $p:pat = $f:expr $(, if $c:expr)? =>) => {
        $crate::__private::error_at! { "this crest::select! branch needs a handler after `=>`: an expression followed by `,`, or a block"; $f }
    };
    (@ $biased:tt; $branches:tt; $ids:tt; $p:pat = $f:expr $(, if $c:expr)? => $($rest:tt)+) => {
        $crate::__private::error_at! { "a crest::select! handler is an expression followed by `,`, or a block"; $($rest)+ }
    };
    (@ $biased:tt; $branches:tt; $ids:tt; $p:pat = $($rest:tt)*) => {
        $crate::__private::error_at! { "expected `future => handler` or `future, if condition => handler` after `=` in this crest::select! branch"; $($rest)* }
    };
    (@ $biased:tt; $branches:tt; $ids:tt; $first:tt $($rest:tt)*) => {
        $crate::__private::error_at! { "expected a crest::select! branch, `pattern = future => handler`, or `else => handler`"; $first }
    };
}

/// Not public API: `select!`'s expansion.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_expand {
    ($biased:tt; [$([($i:tt $v:ident $f:ident $o:ident) ($p:pat) ($fut:expr) ($($c:expr)?) ($h:expr)])*]; $else:expr) => {{
        enum __SelectOut<$($v,)*> {
            $($v($v),)*
            Disabled,
        }
        const __BRANCHES: u32 = [$($i),*].len() as u32;
        let __out = {
            let mut __disabled: u64 = 0;
            $(
                if !$crate::__select_condition!($($c)?) {
                    __disabled |= 1u64 << $i;
                }
            )*
            $(
                let mut $f = ::core::pin::pin!(::core::future::IntoFuture::into_future($fut));
            )*
            let __start: u32 = if $biased { 0 } else { $crate::__private::random_below(__BRANCHES) };
            ::core::future::poll_fn(|__cx| {
                let mut __pending = false;
                for __k in 0..__BRANCHES {
                    let mut __n = __start + __k;
                    if __n >= __BRANCHES {
                        __n -= __BRANCHES;
                    }
                    $(
                        if __n == $i && __disabled & (1u64 << $i) == 0 {
                            match ::core::future::Future::poll($f.as_mut(), __cx) {
                                ::core::task::Poll::Ready(__value) => {
                                    #[allow(unused_variables, unreachable_patterns)]
                                    match &__value {
                                        $crate::__private::clean_pattern!($p) => {
                                            return ::core::task::Poll::Ready(__SelectOut::$v(__value));
                                        }
                                        _ => __disabled |= 1u64 << $i,
                                    }
                                }
                                ::core::task::Poll::Pending => __pending = true,
                            }
                        }
                    )*
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__SelectOut::Disabled)
                }
            })
            .await
        };
        #[allow(unreachable_patterns, unreachable_code, unused_variables)]
        match __out {
            $(__SelectOut::$v($p) => $h,)*
            __SelectOut::Disabled => $else,
            _ => ::core::unreachable!("a crest::select! output matched its pattern once and then not"),
        }
    }};
}

/// Not public API: a branch's `if` condition, `true` when there is none.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_condition {
    () => {
        true
    };
    ($c:expr) => {
        $c
    };
}
