//! Which read a `CrestIo<T>` uses, decided once from the type `T`: crest's own stream
//! types read into uninitialised memory; any other `AsyncRead` gets a zeroed buffer.
//!
//! Why a type test: `CrestIo<T>`'s `hyper::rt::Read` impl is fixed as generic over any
//! futures-io `AsyncRead` (API.md), and futures-io's `poll_read` takes `&mut [u8]`. Handing
//! it hyper's uninitialised buffer as `&mut [u8]` would be undefined behaviour (and a
//! generic reader may read it), so the generic path must zero the buffer first, as
//! smol-hyper does. crest's `TcpStream` and `UnixStream` have `poll_read_uninit` (a `recv`
//! into `&mut [MaybeUninit<u8>]`), but without specialization a generic impl cannot call
//! it: this file tells, once per `CrestIo`, whether `T` *is* one of those types.
//!
//! `std::any::TypeId::of` needs `T: 'static`, which the fixed bounds do not give. The test
//! below gets `T`'s `TypeId` anyway, soundly, because it only compares it with types that
//! have no lifetime parameters (see [`is_same_type`]).
//!
//! Must not: cast a `T` to a type it has not proven `T` to be.

use std::any::TypeId;
use std::marker::PhantomData;

/// The read a `CrestIo<T>` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadPath {
    /// `T` is `crest::net::TcpStream`: `poll_read_uninit`.
    Tcp,
    /// `T` is `crest::net::UnixStream`: `poll_read_uninit`.
    Unix,
    /// Any other `AsyncRead`: zero hyper's buffer, then `poll_read`.
    Zeroed,
}

impl ReadPath {
    pub(crate) fn of<T: ?Sized>() -> ReadPath {
        if is_same_type::<T, crest::net::TcpStream>() {
            ReadPath::Tcp
        } else if is_same_type::<T, crest::net::UnixStream>() {
            ReadPath::Unix
        } else {
            ReadPath::Zeroed
        }
    }
}

/// Gives the `TypeId` of the type it is implemented for, as a trait object method so that
/// it can be called through a `'static` object type.
trait TypeIdOf {
    fn type_id_of(&self) -> TypeId
    where
        Self: 'static;
}

impl<T: ?Sized> TypeIdOf for PhantomData<T> {
    fn type_id_of(&self) -> TypeId
    where
        Self: 'static,
    {
        TypeId::of::<T>()
    }
}

/// Whether `T` is `U`, for a `U` with no lifetime parameters.
///
/// The `TypeId` obtained for `T` is that of `T` with every lifetime in it replaced by
/// `'static` (lifetimes are erased before code is generated, so the compiled
/// `type_id_of` cannot depend on them). If that equals `U`'s id, `T` with `'static`
/// lifetimes is `U`; since `U` contains no lifetime at all, neither does `T`, so `T` is
/// exactly `U`.
pub(crate) fn is_same_type<T: ?Sized, U: 'static>() -> bool {
    let probe = PhantomData::<T>;
    let object: &dyn TypeIdOf = &probe;
    // SAFETY: only the trait object's lifetime bound changes (same fat pointer, same
    // vtable); `probe` outlives the call, and `type_id_of` reads nothing borrowed from `T`
    // (it holds none: `PhantomData` is zero-sized). The `'static` bound is used only to
    // name `TypeId::of::<T>()`, whose value does not depend on lifetimes (see above).
    let object: &(dyn TypeIdOf + 'static) =
        unsafe { std::mem::transmute::<&dyn TypeIdOf, &(dyn TypeIdOf + 'static)>(object) };
    object.type_id_of() == TypeId::of::<U>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crest_streams_are_told_apart_from_other_readers() {
        assert_eq!(ReadPath::of::<crest::net::TcpStream>(), ReadPath::Tcp);
        assert_eq!(ReadPath::of::<crest::net::UnixStream>(), ReadPath::Unix);
        assert_eq!(ReadPath::of::<&'static crest::net::TcpStream>(), ReadPath::Zeroed);
        assert_eq!(ReadPath::of::<std::io::Cursor<Vec<u8>>>(), ReadPath::Zeroed);
        fn borrowed<'a>(_: &'a [u8]) -> ReadPath {
            ReadPath::of::<futures_io_cursor::Reader<'a>>()
        }
        assert_eq!(borrowed(&[1, 2]), ReadPath::Zeroed);
    }

    mod futures_io_cursor {
        /// A type with a lifetime parameter, to show such types get the zeroed path.
        pub struct Reader<'a>(#[allow(dead_code)] pub &'a [u8]);
    }
}
