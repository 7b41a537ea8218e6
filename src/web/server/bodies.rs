//! Body wrappers of the server: a request body that gives up when the client stops sending,
//! and a response body that keeps its connection marked busy until it is sent.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

use super::connections::{BusyGuard, ReceivingGuard};

/// The request body's failure when the client stopped sending it.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?}")]
pub struct BodyTimedOut(Duration);

/// Set on a request whose body timed out, so the error body can say 408 instead of the
/// generic "could not read the body".
#[derive(Debug, Clone, Default)]
pub struct BodyTimeoutFlag(Arc<AtomicBool>);

impl BodyTimeoutFlag {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// A request body that fails unless it has arrived whole within `timeout` of the request.
/// The whole body, not the silence between frames: a client sending a byte every few seconds
/// would otherwise hold its connection for ever (bodies here are at most 16 KB).
pub struct TimedBody<B> {
    inner: B,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    flag: BodyTimeoutFlag,
    /// Held while the body is still arriving (none for a request without one).
    receiving: Option<ReceivingGuard>,
}

impl<B> TimedBody<B> {
    pub fn new(
        inner: B,
        timeout: Duration,
        flag: BodyTimeoutFlag,
        receiving: Option<ReceivingGuard>,
    ) -> Self {
        TimedBody {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            flag,
            receiving,
        }
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if frame.is_none() {
                    this.receiving = None; // the whole body is in
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.flag.set();
                    Poll::Ready(Some(Err(Box::new(BodyTimedOut(this.timeout)))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body holding its connection's busy mark until it is sent or dropped.
pub struct GuardedBody<B> {
    inner: B,
    _busy: BusyGuard,
}

impl<B> GuardedBody<B> {
    pub fn new(inner: B, busy: BusyGuard) -> Self {
        GuardedBody { inner, _busy: busy }
    }
}

impl<B> Body for GuardedBody<B>
where
    B: Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body as AxumBody, to_bytes};

    /// A body that never sends anything.
    struct Silent;

    impl Body for Silent {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_body_that_never_arrives_fails_and_sets_the_flag() {
        let flag = BodyTimeoutFlag::default();
        let body = TimedBody::new(Silent, Duration::from_millis(50), flag.clone(), None);
        let err = to_bytes(AxumBody::new(body), 1024)
            .await
            .expect_err("times out");
        assert!(err.to_string().contains("did not arrive"), "{err}");
        assert!(flag.is_set());
    }

    #[tokio::test]
    async fn a_complete_body_passes_untouched_and_is_no_longer_arriving() {
        let flag = BodyTimeoutFlag::default();
        let receiving = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let body = TimedBody::new(
            AxumBody::from("{\"a\":1}"),
            Duration::from_secs(10),
            flag.clone(),
            Some(ReceivingGuard::new(&receiving)),
        );
        assert_eq!(receiving.load(Ordering::Acquire), 1, "arriving");
        let mut body = std::pin::pin!(body);
        let mut got = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
            got.extend_from_slice(frame.expect("frame").data_ref().expect("data"));
        }
        assert_eq!(&got[..], b"{\"a\":1}");
        assert_eq!(
            receiving.load(Ordering::Acquire),
            0,
            "whole: evictable no more"
        );
        assert!(!flag.is_set());
    }

    #[test]
    fn the_busy_mark_lasts_as_long_as_the_response_body() {
        let busy = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let body = GuardedBody::new(AxumBody::empty(), BusyGuard::new(&busy));
        assert_eq!(busy.load(Ordering::Acquire), 1);
        drop(body);
        assert_eq!(busy.load(Ordering::Acquire), 0);
    }
}
