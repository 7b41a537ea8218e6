//! hyper answers a request it cannot parse itself (a URI over its 64 KB limit, bytes that are
//! not HTTP such as a TLS hello, a bare CR, a duplicate `Content-Length`, too many headers),
//! with an empty body. This wrapper of a connection's stream turns such an answer into the
//! API's JSON error, so every error a client sees is JSON. It is told from the router's own
//! errors by its head: every error of the router is JSON (`web::error::json_errors`) and
//! carries a `Content-Type`; hyper's carries none.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The connection's stream, rewriting hyper's own error answers.
pub struct JsonParseErrors<S> {
    inner: S,
    /// The JSON answer being written in place of hyper's, and how much of it is out.
    replacing: Option<(Vec<u8>, usize)>,
    /// hyper's answer was replaced: whatever else it writes of it is dropped.
    replaced: bool,
}

impl<S> JsonParseErrors<S> {
    pub fn new(inner: S) -> Self {
        JsonParseErrors {
            inner,
            replacing: None,
            replaced: false,
        }
    }
}

/// The JSON answer for hyper's own error head at the start of `written`, if it is one: an
/// error status and no `Content-Type`.
pub fn json_answer(written: &[u8]) -> Option<Vec<u8>> {
    let rest = written.strip_prefix(b"HTTP/1.1 ")?;
    let code = std::str::from_utf8(rest.get(..3)?)
        .ok()?
        .parse::<u16>()
        .ok()?;
    if !(400..600).contains(&code) {
        return None;
    }
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&written[..head_end]).to_ascii_lowercase();
    if head.contains("\r\ncontent-type:") {
        return None;
    }
    let (name, message) = match code {
        414 => (
            "uri_too_long",
            "the path and query are longer than this server reads",
        ),
        431 => (
            "headers_too_large",
            "the request has more or larger headers than this server reads",
        ),
        408 => (
            "request_timeout",
            "the request did not arrive in time; send it whole",
        ),
        c if c >= 500 => (
            "internal",
            "the server could not answer; see the add-on log",
        ),
        _ => (
            "bad_request",
            "the request is not valid HTTP/1.1 (a malformed request line or header, or not HTTP at all)",
        ),
    };
    let reason = axum::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let body = serde_json::json!({"error": {"code": name, "message": message}}).to_string();
    Some(
        format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replaced {
            return Poll::Ready(Ok(buf.len()));
        }
        if this.replacing.is_none() {
            this.replacing = json_answer(buf).map(|answer| (answer, 0));
        }
        let Some((answer, sent)) = this.replacing.as_mut() else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *sent < answer.len() {
            match Pin::new(&mut this.inner).poll_write(cx, &answer[*sent..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *sent += n,
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
                Poll::Pending => return Poll::Pending,
            }
        }
        this.replacing = None;
        this.replaced = true;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyper_error_heads_become_json_answers_and_others_pass() {
        let answer = json_answer(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n")
            .expect("an error");
        let text = String::from_utf8(answer).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{text}");
        let body = text.split("\r\n\r\n").nth(1).expect("body");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"]["code"], "uri_too_long");
        assert!(text.contains(&format!("content-length: {}\r\n", body.len())));
        for fine in [
            &b"HTTP/1.1 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 101 Switching",
            b"0\r\n\r\n",
            b"HTTP/1.1 4",
            b"",
            // The router's own errors are JSON already.
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
        ] {
            assert!(json_answer(fine).is_none(), "{fine:?}");
        }
    }
}
