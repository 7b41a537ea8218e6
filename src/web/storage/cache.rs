//! The Storage section of the last walk, kept until the next walk: its growth figures come
//! from history queries worth running once an hour, not on every refresh.

use std::sync::{Arc, Mutex};

use super::view::StorageView;
use crate::util::lock;

#[derive(Debug, Default)]
pub(in crate::web) struct StorageCache(Mutex<Option<Arc<StorageView>>>);

impl StorageCache {
    pub(in crate::web) fn get(&self) -> Option<Arc<StorageView>> {
        lock(&self.0).clone()
    }

    pub(in crate::web) fn set(&self, view: Arc<StorageView>) {
        *lock(&self.0) = Some(view);
    }
}
