//! The one error type of `orcapod-channel`.

use std::fmt;

/// Why a channel operation did not move an item.
///
/// One enum serves every channel in the crate (async, broadcast and sync). On the sending side
/// the rejected item is handed back in the variant's payload (`T`); on the receiving side the
/// payload is `()`. The aliases [`SendError<T>`] and [`RecvError`] name the two uses.
///
/// | variant          | from `send` / `try_send`          | from `recv` / `try_recv` / `recv_timeout`              |
/// |------------------|-----------------------------------|--------------------------------------------------------|
/// | [`Closed`]       | `close()` was called              | `close()` was called and the buffer is drained          |
/// | [`Disconnected`] | every receiver was dropped        | every sender was dropped *without* `close()`, drained   |
/// | [`Full`]         | `try_send` only: buffer full      | never                                                   |
/// | [`Empty`]        | never                             | `try_recv` only: nothing buffered yet, senders alive    |
/// | [`Timeout`]      | `send_timeout` only               | `recv_timeout` only                                     |
///
/// `Closed` and `Disconnected` are terminal: once a receive returns one of them, every later
/// receive on every receiver of that channel returns the same variant.
///
/// [`Closed`]: ChannelError::Closed
/// [`Disconnected`]: ChannelError::Disconnected
/// [`Full`]: ChannelError::Full
/// [`Empty`]: ChannelError::Empty
/// [`Timeout`]: ChannelError::Timeout
///
/// ```
/// use orcapod_channel::{ChannelError, RecvError, SendError};
///
/// let err: SendError<u32> = ChannelError::Closed(7);
/// assert!(err.is_closed());
/// assert_eq!(err.into_inner(), Some(7));
///
/// let end: RecvError = ChannelError::Disconnected(());
/// assert!(end.is_end());
/// assert_eq!(end.to_string(), "channel disconnected: every peer on the other side was dropped");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ChannelError<T = ()> {
    /// The channel was closed with `close()`: no more items are accepted, and (for receives)
    /// everything sent before the close has been received.
    #[error("channel closed")]
    Closed(T),
    /// The other side is gone without an orderly close: every receiver was dropped (for sends),
    /// or every sender was dropped without calling `close()` (for receives, after draining).
    /// On the receiving side this usually means a producer crashed or returned early.
    #[error("channel disconnected: every peer on the other side was dropped")]
    Disconnected(T),
    /// A non-blocking send found the buffer full.
    #[error("channel full")]
    Full(T),
    /// A non-blocking receive found the buffer empty while senders are still alive.
    #[error("channel empty")]
    Empty,
    /// A blocking receive or send with a timeout did not complete in time (the sync channel's
    /// `recv_timeout` / `send_timeout`).
    #[error("timed out waiting on the channel")]
    Timeout(T),
}

/// The error of send operations: carries the rejected item (or items) back to the caller.
pub type SendError<T> = ChannelError<T>;

/// The error of receive operations.
pub type RecvError = ChannelError<()>;

impl<T> fmt::Debug for ChannelError<T> {
    /// Formats the variant name only, so that `unwrap()` works for any item type.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Closed(_) => f.write_str("Closed(..)"),
            Self::Disconnected(_) => f.write_str("Disconnected(..)"),
            Self::Full(_) => f.write_str("Full(..)"),
            Self::Empty => f.write_str("Empty"),
            Self::Timeout(_) => f.write_str("Timeout(..)"),
        }
    }
}

impl<T> ChannelError<T> {
    /// The item handed back by a failed send, if the variant carries one.
    ///
    /// ```
    /// use orcapod_channel::ChannelError;
    /// assert_eq!(ChannelError::Full("row").into_inner(), Some("row"));
    /// assert_eq!(ChannelError::<u8>::Empty.into_inner(), None);
    /// ```
    pub fn into_inner(self) -> Option<T> {
        match self {
            Self::Closed(t) | Self::Disconnected(t) | Self::Full(t) | Self::Timeout(t) => Some(t),
            Self::Empty => None,
        }
    }

    /// Replaces the payload, keeping the variant.
    ///
    /// ```
    /// use orcapod_channel::ChannelError;
    /// assert_eq!(ChannelError::Closed(2).map(|x| x * 10), ChannelError::Closed(20));
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ChannelError<U> {
        match self {
            Self::Closed(t) => ChannelError::Closed(f(t)),
            Self::Disconnected(t) => ChannelError::Disconnected(f(t)),
            Self::Full(t) => ChannelError::Full(f(t)),
            Self::Timeout(t) => ChannelError::Timeout(f(t)),
            Self::Empty => ChannelError::Empty,
        }
    }

    /// Drops the payload, keeping the variant (a `SendError<T>` becomes a plain
    /// `ChannelError`).
    ///
    /// ```
    /// use orcapod_channel::ChannelError;
    /// assert_eq!(ChannelError::Disconnected(vec![1]).discard(), ChannelError::Disconnected(()));
    /// ```
    pub fn discard(self) -> ChannelError {
        self.map(drop)
    }

    /// `true` for [`ChannelError::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }

    /// `true` for [`ChannelError::Disconnected`].
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Self::Disconnected(_))
    }

    /// `true` for [`ChannelError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }

    /// `true` for [`ChannelError::Empty`].
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Empty)
    }

    /// `true` for [`ChannelError::Timeout`].
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout(_))
    }

    /// `true` when the error is terminal: [`Closed`](ChannelError::Closed) or
    /// [`Disconnected`](ChannelError::Disconnected). Retrying will never succeed.
    pub fn is_end(&self) -> bool {
        matches!(self, Self::Closed(_) | Self::Disconnected(_))
    }
}
