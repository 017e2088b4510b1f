//! `crest::join!` and `crest::try_join!`: run several futures concurrently inside one task.
//!
//! Each future is pinned on the stack (`core::pin::pin!`) beside an `Option` for its
//! output; one poll of the join polls every future that has not finished, in written
//! order. Nothing is allocated per future. The names for the pinned futures and their
//! outputs come from a list of 64, handed out one per future by a `macro_rules!` loop.

/// Runs several futures concurrently in the current task and returns all their outputs, as
/// a tuple in written order.
///
/// ```
/// use std::time::Duration;
///
/// crest::block_on(async {
///     let slow = async {
///         crest::time::sleep(Duration::from_millis(20)).await;
///         "slow"
///     };
///     let (a, b, c) = crest::join!(slow, async { 1 }, async { 2.5 });
///     assert_eq!((a, b, c), ("slow", 1, 2.5));
/// });
/// ```
///
/// The futures run in this task, so they may borrow local variables; to run them on
/// other workers, `spawn` them. At most 64 futures.
#[macro_export]
macro_rules! join {
    ($($fut:expr),* $(,)?) => {
        $crate::__join_parse!(join; []; [(0 B0 f0 o0) (1 B1 f1 o1) (2 B2 f2 o2) (3 B3 f3 o3) (4 B4 f4 o4) (5 B5 f5 o5) (6 B6 f6 o6) (7 B7 f7 o7) (8 B8 f8 o8) (9 B9 f9 o9) (10 B10 f10 o10) (11 B11 f11 o11) (12 B12 f12 o12) (13 B13 f13 o13) (14 B14 f14 o14) (15 B15 f15 o15) (16 B16 f16 o16) (17 B17 f17 o17) (18 B18 f18 o18) (19 B19 f19 o19) (20 B20 f20 o20) (21 B21 f21 o21) (22 B22 f22 o22) (23 B23 f23 o23) (24 B24 f24 o24) (25 B25 f25 o25) (26 B26 f26 o26) (27 B27 f27 o27) (28 B28 f28 o28) (29 B29 f29 o29) (30 B30 f30 o30) (31 B31 f31 o31) (32 B32 f32 o32) (33 B33 f33 o33) (34 B34 f34 o34) (35 B35 f35 o35) (36 B36 f36 o36) (37 B37 f37 o37) (38 B38 f38 o38) (39 B39 f39 o39) (40 B40 f40 o40) (41 B41 f41 o41) (42 B42 f42 o42) (43 B43 f43 o43) (44 B44 f44 o44) (45 B45 f45 o45) (46 B46 f46 o46) (47 B47 f47 o47) (48 B48 f48 o48) (49 B49 f49 o49) (50 B50 f50 o50) (51 B51 f51 o51) (52 B52 f52 o52) (53 B53 f53 o53) (54 B54 f54 o54) (55 B55 f55 o55) (56 B56 f56 o56) (57 B57 f57 o57) (58 B58 f58 o58) (59 B59 f59 o59) (60 B60 f60 o60) (61 B61 f61 o61) (62 B62 f62 o62) (63 B63 f63 o63)]; $($fut,)*)
    };
}

/// Runs several futures returning `Result` concurrently: `Ok` with every output when all
/// succeed, or the first `Err` as soon as one fails (the other futures are then dropped).
///
/// ```
/// crest::block_on(async {
///     let ok: Result<(u8, u8), String> = crest::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(ok, Ok((1, 2)));
///
///     let failed: Result<(u8, u8), String> = crest::try_join!(
///         std::future::pending(), // dropped when the other fails
///         async { Err("no".to_string()) },
///     );
///     assert_eq!(failed, Err("no".to_string()));
/// });
/// ```
#[macro_export]
macro_rules! try_join {
    ($($fut:expr),* $(,)?) => {
        $crate::__join_parse!(try_join; []; [(0 B0 f0 o0) (1 B1 f1 o1) (2 B2 f2 o2) (3 B3 f3 o3) (4 B4 f4 o4) (5 B5 f5 o5) (6 B6 f6 o6) (7 B7 f7 o7) (8 B8 f8 o8) (9 B9 f9 o9) (10 B10 f10 o10) (11 B11 f11 o11) (12 B12 f12 o12) (13 B13 f13 o13) (14 B14 f14 o14) (15 B15 f15 o15) (16 B16 f16 o16) (17 B17 f17 o17) (18 B18 f18 o18) (19 B19 f19 o19) (20 B20 f20 o20) (21 B21 f21 o21) (22 B22 f22 o22) (23 B23 f23 o23) (24 B24 f24 o24) (25 B25 f25 o25) (26 B26 f26 o26) (27 B27 f27 o27) (28 B28 f28 o28) (29 B29 f29 o29) (30 B30 f30 o30) (31 B31 f31 o31) (32 B32 f32 o32) (33 B33 f33 o33) (34 B34 f34 o34) (35 B35 f35 o35) (36 B36 f36 o36) (37 B37 f37 o37) (38 B38 f38 o38) (39 B39 f39 o39) (40 B40 f40 o40) (41 B41 f41 o41) (42 B42 f42 o42) (43 B43 f43 o43) (44 B44 f44 o44) (45 B45 f45 o45) (46 B46 f46 o46) (47 B47 f47 o47) (48 B48 f48 o48) (49 B49 f49 o49) (50 B50 f50 o50) (51 B51 f51 o51) (52 B52 f52 o52) (53 B53 f53 o53) (54 B54 f54 o54) (55 B55 f55 o55) (56 B56 f56 o56) (57 B57 f57 o57) (58 B58 f58 o58) (59 B59 f59 o59) (60 B60 f60 o60) (61 B61 f61 o61) (62 B62 f62 o62) (63 B63 f63 o63)]; $($fut,)*)
    };
}

/// Not public API: gives each future of `join!`/`try_join!` its names.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_parse {
    ($kind:ident; $done:tt; $ids:tt; ) => {
        $crate::__join_expand!($kind; $done)
    };
    ($kind:ident; $done:tt; []; $fut:expr, $($rest:tt)*) => {
        $crate::__private::error_at! { "crest::join! and crest::try_join! take at most 64 futures"; $fut }
    };
    ($kind:ident; [$($done:tt)*]; [$id:tt $($ids:tt)*]; $fut:expr, $($rest:tt)*) => {
        $crate::__join_parse!($kind; [$($done)* [$id ($fut)]]; [$($ids)*]; $($rest)*)
    };
}

/// Not public API: the expansion of `join!` and `try_join!`.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_expand {
    (join; [$([($i:tt $v:ident $f:ident $o:ident) ($fut:expr)])*]) => {{
        $(
            let mut $f = ::core::pin::pin!(::core::future::IntoFuture::into_future($fut));
            let mut $o = ::core::option::Option::None;
        )*
        ::core::future::poll_fn(|__cx| {
            let mut __done = true;
            $(
                if $o.is_none() {
                    match ::core::future::Future::poll($f.as_mut(), __cx) {
                        ::core::task::Poll::Ready(__value) => $o = ::core::option::Option::Some(__value),
                        ::core::task::Poll::Pending => __done = false,
                    }
                }
            )*
            if __done {
                ::core::task::Poll::Ready(($(
                    $o.take().expect("crest::join! polled after it completed"),
                )*))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
    (try_join; [$([($i:tt $v:ident $f:ident $o:ident) ($fut:expr)])*]) => {{
        $(
            let mut $f = ::core::pin::pin!(::core::future::IntoFuture::into_future($fut));
            let mut $o = ::core::option::Option::None;
        )*
        ::core::future::poll_fn(|__cx| {
            let mut __done = true;
            $(
                if $o.is_none() {
                    match ::core::future::Future::poll($f.as_mut(), __cx) {
                        ::core::task::Poll::Ready(::core::result::Result::Ok(__value)) => {
                            $o = ::core::option::Option::Some(__value)
                        }
                        ::core::task::Poll::Ready(::core::result::Result::Err(__error)) => {
                            return ::core::task::Poll::Ready(::core::result::Result::Err(__error));
                        }
                        ::core::task::Poll::Pending => __done = false,
                    }
                }
            )*
            if __done {
                ::core::task::Poll::Ready(::core::result::Result::Ok(($(
                    $o.take().expect("crest::try_join! polled after it completed"),
                )*)))
            } else {
                ::core::task::Poll::Pending
            }
        })
        .await
    }};
}
