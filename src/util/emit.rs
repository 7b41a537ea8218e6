//! [`Emit`]: a typed, cheap-to-clone sink a producer publishes through without knowing where
//! its values go. `app.rs` builds one from the event bus (`Bus::emitter`), so producers below
//! the bus in the layering (the engine, the alert service, later analysis, advice and leases)
//! publish typed values onto it without importing it.

use std::fmt;
use std::sync::Arc;

/// Where a producer's values go; never blocks, never fails (a sink without listeners drops).
pub struct Emit<T> {
    sink: Option<Arc<dyn Fn(T) + Send + Sync>>,
}

impl<T> Emit<T> {
    /// A sink that calls `f` with every value.
    pub fn new(f: impl Fn(T) + Send + Sync + 'static) -> Self {
        Emit {
            sink: Some(Arc::new(f)),
        }
    }

    /// A sink that drops every value (tests, parts run without the bus).
    pub fn none() -> Self {
        Emit { sink: None }
    }

    /// Hands one value on.
    pub fn emit(&self, value: T) {
        if let Some(sink) = &self.sink {
            sink(value);
        }
    }
}

impl<T> Clone for Emit<T> {
    fn clone(&self) -> Self {
        Emit {
            sink: self.sink.clone(),
        }
    }
}

impl<T> Default for Emit<T> {
    fn default() -> Self {
        Emit::none()
    }
}

impl<T> fmt::Debug for Emit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.sink.is_some() {
            "Emit(sink)"
        } else {
            "Emit(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn values_reach_the_sink_in_order_and_none_drops_them() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        let emit = Emit::new(move |v: u32| crate::util::lock(&into).push(v));
        let copy = emit.clone();
        emit.emit(1);
        copy.emit(2);
        Emit::<u32>::none().emit(3);
        assert_eq!(*crate::util::lock(&seen), vec![1, 2]);
    }
}
