//! Small helpers to read `/proc` and `/sys` files cheaply (reused buffers, no allocation per line).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::CollectError;

/// Reads a whole file into `buf`, replacing its content.
pub fn read_into(path: &Path, buf: &mut String) -> Result<(), CollectError> {
    buf.clear();
    File::open(path)
        .and_then(|mut f| f.read_to_string(buf))
        .map(|_| ())
        .map_err(|source| CollectError::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// Parses the first whitespace-separated field of `text` after `key` as u64.
pub fn field_u64(text: &str) -> Option<u64> {
    text.split_ascii_whitespace().next()?.parse().ok()
}

/// Builds a parse error for `path`.
pub fn parse_error(path: &Path, detail: impl Into<String>) -> CollectError {
    CollectError::Parse {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}
