//! Prometheus remote write 1.0 bodies: a `WriteRequest` protobuf, snappy-compressed.
//!
//! Four messages with a handful of fields do not need a code generator: the sizes of nested
//! messages are computed first, then everything is written in one pass into one buffer.
//!
//! ```text
//! WriteRequest { repeated TimeSeries timeseries = 1; }
//! TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//! Label        { string name = 1; string value = 2; }
//! Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use crate::model::{SeriesMeta, Snapshot};
use crate::publish::prometheus::{base_value, labels, metric_name};

/// One series with its samples in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Sorted by name, `__name__` included.
    pub labels: Vec<(String, String)>,
    /// (Unix ms, value in base units).
    pub samples: Vec<(i64, f64)>,
}

impl Series {
    /// The labels `/metrics` gives `meta`, with `__name__`, sorted as the protocol asks.
    pub fn of(meta: &SeriesMeta) -> Series {
        let mut labels: Vec<(String, String)> = labels(meta)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.push(("__name__".into(), metric_name(meta)));
        labels.sort();
        Series {
            labels,
            samples: Vec::new(),
        }
    }
}

/// The series of some snapshots, each once, in order of first appearance.
pub fn series_of(snapshots: &[Arc<Snapshot>]) -> Vec<Series> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<Series> = Vec::new();
    for snapshot in snapshots {
        for sample in &snapshot.samples {
            let i = *index.entry(sample.series.id.as_str()).or_insert_with(|| {
                out.push(Series::of(&sample.series));
                out.len() - 1
            });
            let value = base_value(&sample.series, sample.value);
            out[i].samples.push((snapshot.ts_ms, value));
        }
    }
    out
}

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Tag byte of field `field` with wire type `wire` (fields here are all below 16).
fn tag(field: u8, wire: u8) -> u8 {
    (field << 3) | wire
}

const LEN: u8 = 2;
const I64: u8 = 1;
const VARINT: u8 = 0;

fn bytes_field_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

fn label_len(name: &str, value: &str) -> usize {
    bytes_field_len(name.len()) + bytes_field_len(value.len())
}

fn sample_len(ts: i64) -> usize {
    1 + 8 + 1 + varint_len(ts as u64)
}

fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    out.push(tag(field, LEN));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The protobuf `WriteRequest` of `series` (uncompressed).
pub fn encode(series: &[Series]) -> Vec<u8> {
    let sizes: Vec<usize> = series
        .iter()
        .map(|s| {
            let labels: usize = s
                .labels
                .iter()
                .map(|(k, v)| bytes_field_len(label_len(k, v)))
                .sum();
            let samples: usize = s
                .samples
                .iter()
                .map(|(ts, _)| bytes_field_len(sample_len(*ts)))
                .sum();
            labels + samples
        })
        .collect();
    let total: usize = sizes.iter().map(|n| bytes_field_len(*n)).sum();
    let mut out = Vec::with_capacity(total);
    for (s, size) in series.iter().zip(sizes) {
        out.push(tag(1, LEN));
        put_varint(&mut out, size as u64);
        for (name, value) in &s.labels {
            out.push(tag(1, LEN));
            put_varint(&mut out, label_len(name, value) as u64);
            put_bytes(&mut out, 1, name.as_bytes());
            put_bytes(&mut out, 2, value.as_bytes());
        }
        for (ts, value) in &s.samples {
            out.push(tag(2, LEN));
            put_varint(&mut out, sample_len(*ts) as u64);
            out.push(tag(1, I64));
            out.extend_from_slice(&value.to_le_bytes());
            out.push(tag(2, VARINT));
            // int64 is sent as its two's complement, as protobuf does.
            put_varint(&mut out, *ts as u64);
        }
    }
    out
}

/// The body of one remote write request: the encoded request, snappy block-compressed.
pub fn body(series: &[Series]) -> Vec<u8> {
    let raw = encode(series);
    // Compression of an in-memory buffer only fails for inputs over ~4 GB; such a batch is
    // never built (batches hold at most `MAX_SAMPLES` samples).
    snap::raw::Encoder::new()
        .compress_vec(&raw)
        .unwrap_or_default()
}

#[cfg(test)]
pub(super) mod tests;
