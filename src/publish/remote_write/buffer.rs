//! The on-disk queue of remote write batches that could not be sent yet.
//!
//! One file per batch (the compressed request body, ready to send again), named by a sequence
//! number and its sample count: `00000000000000000042-1200.rw`. Files are written only while
//! the receiver is away, so a healthy setup writes nothing here. Past `max_bytes` the oldest
//! batches go first, and their samples are counted.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// One batch on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    seq: u64,
    samples: u64,
    bytes: u64,
}

/// Why the buffer could not be used.
#[derive(Debug, thiserror::Error)]
#[error("remote write buffer {path}: {error}")]
pub struct BufferError {
    path: PathBuf,
    error: std::io::Error,
}

/// The queue; the remote writer owns it.
#[derive(Debug)]
pub struct DiskBuffer {
    dir: PathBuf,
    max_bytes: u64,
    entries: VecDeque<Entry>,
    bytes: u64,
    next_seq: u64,
    /// Samples dropped because the buffer was full (since start).
    pub dropped_samples: u64,
}

impl DiskBuffer {
    /// Opens (creating if needed) the buffer in `dir`, picking up what an earlier run left.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<DiskBuffer, BufferError> {
        let err = |error| BufferError {
            path: dir.to_path_buf(),
            error,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut entries = Vec::new();
        for item in std::fs::read_dir(dir).map_err(err)? {
            let item = item.map_err(err)?;
            let name = item.file_name();
            // A batch being written when the process died: never renamed, never complete.
            if name.to_str().is_some_and(|n| n.ends_with(".part")) {
                if let Err(error) = std::fs::remove_file(item.path()) {
                    tracing::warn!(path = %item.path().display(), %error, "cannot remove a half-written remote-write batch");
                }
                continue;
            }
            let Some((seq, samples)) = name.to_str().and_then(parse_name) else {
                continue;
            };
            let bytes = item.metadata().map_err(err)?.len();
            entries.push(Entry {
                seq,
                samples,
                bytes,
            });
        }
        entries.sort_by_key(|e| e.seq);
        let mut buffer = DiskBuffer {
            dir: dir.to_path_buf(),
            max_bytes,
            bytes: entries.iter().map(|e| e.bytes).sum(),
            next_seq: entries.last().map_or(0, |e| e.seq + 1),
            entries: entries.into(),
            dropped_samples: 0,
        };
        buffer.trim();
        Ok(buffer)
    }

    fn path(&self, entry: &Entry) -> PathBuf {
        self.dir
            .join(format!("{:020}-{}.rw", entry.seq, entry.samples))
    }

    /// Batches waiting.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes waiting.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Samples waiting.
    pub fn samples(&self) -> u64 {
        self.entries.iter().map(|e| e.samples).sum()
    }

    /// Appends a batch, then drops the oldest ones past the limit.
    pub fn push(&mut self, body: &[u8], samples: u64) -> Result<(), BufferError> {
        let entry = Entry {
            seq: self.next_seq,
            samples,
            bytes: body.len() as u64,
        };
        let path = self.path(&entry);
        // Written aside and renamed, so a crash never leaves half a batch under a real name.
        let partial = path.with_extension("part");
        let err = |error| BufferError {
            path: path.clone(),
            error,
        };
        std::fs::write(&partial, body).map_err(err)?;
        std::fs::rename(&partial, &path).map_err(err)?;
        self.next_seq += 1;
        self.bytes += entry.bytes;
        self.entries.push_back(entry);
        self.trim();
        Ok(())
    }

    /// The oldest batch: its body and sample count.
    pub fn oldest(&self) -> Option<Result<(Vec<u8>, u64), BufferError>> {
        let entry = self.entries.front()?;
        let path = self.path(entry);
        Some(
            std::fs::read(&path)
                .map(|body| (body, entry.samples))
                .map_err(|error| BufferError { path, error }),
        )
    }

    /// Removes the oldest batch (sent, or unreadable).
    pub fn pop(&mut self) {
        if let Some(entry) = self.entries.pop_front() {
            self.bytes = self.bytes.saturating_sub(entry.bytes);
            let path = self.path(&entry);
            if let Err(error) = std::fs::remove_file(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %path.display(), %error, "could not remove a sent remote write batch");
            }
        }
    }

    fn trim(&mut self) {
        while self.bytes > self.max_bytes && !self.entries.is_empty() {
            let samples = self.entries.front().map_or(0, |e| e.samples);
            self.pop();
            self.dropped_samples += samples;
            if self.dropped_samples == samples || self.dropped_samples.is_power_of_two() {
                tracing::warn!(
                    dropped = self.dropped_samples,
                    "remote write buffer full: oldest samples dropped"
                );
            }
        }
    }
}

/// `<seq>-<samples>.rw` → (seq, samples).
fn parse_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".rw")?;
    let (seq, samples) = stem.split_once('-')?;
    Some((seq.parse().ok()?, samples.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_come_back_oldest_first_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("dir");
        let mut buffer = DiskBuffer::open(dir.path(), 1000).expect("open");
        buffer.push(b"first", 10).expect("push");
        buffer.push(b"second", 20).expect("push");
        assert_eq!(
            (buffer.len(), buffer.bytes(), buffer.samples()),
            (2, 11, 30)
        );
        drop(buffer);
        let mut buffer = DiskBuffer::open(dir.path(), 1000).expect("reopen");
        assert_eq!(
            buffer.oldest().expect("some").expect("read"),
            (b"first".to_vec(), 10)
        );
        buffer.pop();
        buffer.push(b"third", 5).expect("push");
        assert_eq!(buffer.oldest().expect("some").expect("read").0, b"second");
        buffer.pop();
        assert_eq!(buffer.oldest().expect("some").expect("read").0, b"third");
        buffer.pop();
        assert!(buffer.is_empty() && buffer.oldest().is_none());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }

    #[test]
    fn a_half_written_batch_left_by_a_crash_is_removed_at_open() {
        let dir = tempfile::tempdir().expect("dir");
        let mut buffer = DiskBuffer::open(dir.path(), 1000).expect("open");
        buffer.push(b"kept", 3).expect("push");
        drop(buffer);
        let partial = dir.path().join("00000000000000000001-7.part");
        std::fs::write(&partial, b"half a bat").expect("partial");
        let buffer = DiskBuffer::open(dir.path(), 1000).expect("reopen");
        assert!(!partial.exists(), "the .part file is gone");
        assert_eq!((buffer.len(), buffer.bytes(), buffer.samples()), (1, 4, 3));
    }

    #[test]
    fn past_the_limit_the_oldest_go_first_and_are_counted() {
        let dir = tempfile::tempdir().expect("dir");
        let mut buffer = DiskBuffer::open(dir.path(), 25).expect("open");
        for (i, samples) in [(0u8, 1u64), (1, 2), (2, 4), (3, 8)] {
            buffer.push(&[i; 10], samples).expect("push");
        }
        // 40 bytes pushed, 25 allowed: the two oldest went.
        assert_eq!(
            (buffer.len(), buffer.bytes(), buffer.dropped_samples),
            (2, 20, 3)
        );
        assert_eq!(buffer.oldest().expect("some").expect("read").0, [2u8; 10]);
        // A smaller limit at reopen trims too.
        drop(buffer);
        let buffer = DiskBuffer::open(dir.path(), 10).expect("reopen");
        assert_eq!((buffer.len(), buffer.dropped_samples), (1, 4));
    }
}
