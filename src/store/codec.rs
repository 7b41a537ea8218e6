//! Compact encodings of raw batches and minute buckets.

/// A blob that does not decode: a bug or corruption, never silently skipped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("corrupt blob: {0}")]
pub struct CodecError(pub &'static str);

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(buf: &[u8], pos: &mut usize) -> Result<u64, CodecError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos).ok_or(CodecError("truncated varint"))?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(CodecError("varint too long"))
}

fn get_f32(buf: &[u8], pos: &mut usize) -> Result<f32, CodecError> {
    let bytes: [u8; 4] = buf
        .get(*pos..*pos + 4)
        .and_then(|b| b.try_into().ok())
        .ok_or(CodecError("truncated value"))?;
    *pos += 4;
    Ok(f32::from_le_bytes(bytes))
}

/// Builds the blob of one raw batch, tick by tick.
#[derive(Debug)]
pub struct BatchEncoder {
    start_ms: i64,
    last_ms: i64,
    ticks: u32,
    data: Vec<u8>,
    scratch: Vec<u8>,
}

impl BatchEncoder {
    /// A batch whose first tick is at `start_ms`.
    pub fn new(start_ms: i64) -> Self {
        BatchEncoder {
            start_ms,
            last_ms: start_ms,
            ticks: 0,
            data: Vec::with_capacity(4096),
            scratch: Vec::new(),
        }
    }

    /// Appends one tick; `pairs` must be sorted by series id, and ticks must not go back in time.
    pub fn push(&mut self, ts_ms: i64, pairs: &[(u32, f32)]) {
        let ts_ms = ts_ms.max(self.last_ms);
        self.scratch.clear();
        let mut prev = 0u32;
        for &(id, value) in pairs {
            put_varint(&mut self.scratch, u64::from(id - prev));
            self.scratch.extend_from_slice(&value.to_le_bytes());
            prev = id;
        }
        put_varint(&mut self.data, (ts_ms - self.last_ms) as u64);
        put_varint(&mut self.data, self.scratch.len() as u64);
        self.data.extend_from_slice(&self.scratch);
        self.last_ms = ts_ms;
        self.ticks += 1;
    }

    /// Timestamp of the row (its first tick).
    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    /// Timestamp of the latest tick pushed.
    pub fn last_ms(&self) -> i64 {
        self.last_ms
    }

    /// (start_ms, end_ms, ticks, blob)
    pub fn finish(self) -> (i64, i64, u32, Vec<u8>) {
        (self.start_ms, self.last_ms, self.ticks, self.data)
    }
}

/// Calls `visit(ts_ms, series_id, value)` for every value of a raw batch.
pub fn decode_batch(
    start_ms: i64,
    blob: &[u8],
    mut visit: impl FnMut(i64, u32, f32),
) -> Result<(), CodecError> {
    let mut pos = 0;
    let mut ts = start_ms;
    while pos < blob.len() {
        ts += get_varint(blob, &mut pos)? as i64;
        let len = get_varint(blob, &mut pos)? as usize;
        let end = pos
            .checked_add(len)
            .filter(|e| *e <= blob.len())
            .ok_or(CodecError("tick past end"))?;
        let mut id = 0u32;
        while pos < end {
            id = id
                .checked_add(get_varint(blob, &mut pos)? as u32)
                .ok_or(CodecError("series id overflow"))?;
            visit(ts, id, get_f32(blob, &mut pos)?);
        }
        if pos != end {
            return Err(CodecError("tick length mismatch"));
        }
    }
    Ok(())
}

/// Calls `visit(ts_ms, value)` for each tick that holds `series_id`, skipping the rest cheaply.
pub fn decode_series(
    start_ms: i64,
    blob: &[u8],
    series_id: u32,
    mut visit: impl FnMut(i64, f32),
) -> Result<(), CodecError> {
    let mut pos = 0;
    let mut ts = start_ms;
    while pos < blob.len() {
        ts += get_varint(blob, &mut pos)? as i64;
        let len = get_varint(blob, &mut pos)? as usize;
        let end = pos
            .checked_add(len)
            .filter(|e| *e <= blob.len())
            .ok_or(CodecError("tick past end"))?;
        let mut id = 0u32;
        while pos < end {
            id = id
                .checked_add(get_varint(blob, &mut pos)? as u32)
                .ok_or(CodecError("series id overflow"))?;
            if id >= series_id {
                let value = get_f32(blob, &mut pos)?;
                if id == series_id {
                    visit(ts, value);
                }
                break;
            }
            pos += 4;
        }
        pos = end;
    }
    Ok(())
}

/// Aggregate of the values in one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub count: u32,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Bucket {
    /// A bucket holding one value.
    pub fn of(value: f64) -> Self {
        Bucket {
            count: 1,
            min: value,
            max: value,
            sum: value,
        }
    }

    /// Adds one value.
    pub fn add(&mut self, value: f64) {
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.sum += value;
    }

    /// Mean of the bucket.
    pub fn mean(&self) -> f64 {
        self.sum / f64::from(self.count.max(1))
    }
}

const MINUTE_ENTRY: usize = 14;

/// Encodes the 60 minute buckets of an hour (empty minutes have count 0).
pub fn encode_minutes(minutes: &[Option<Bucket>; 60]) -> Vec<u8> {
    let mut out = Vec::with_capacity(60 * MINUTE_ENTRY);
    for minute in minutes {
        let (count, min, max, mean) = match minute {
            Some(b) => (
                b.count.min(u32::from(u16::MAX)) as u16,
                b.min as f32,
                b.max as f32,
                b.mean() as f32,
            ),
            None => (0, 0.0, 0.0, 0.0),
        };
        out.extend_from_slice(&count.to_le_bytes());
        for v in [min, max, mean] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// Decoded minute bucket: (minute index, count, min, max, mean).
pub type MinuteEntry = (u8, u16, f32, f32, f32);

/// Decodes minute buckets, yielding only minutes that hold data.
pub fn decode_minutes(blob: &[u8]) -> Result<Vec<MinuteEntry>, CodecError> {
    if blob.len() != 60 * MINUTE_ENTRY {
        return Err(CodecError("minute blob has the wrong size"));
    }
    let mut out = Vec::new();
    for (i, chunk) in blob.chunks_exact(MINUTE_ENTRY).enumerate() {
        let count = u16::from_le_bytes([chunk[0], chunk[1]]);
        if count == 0 {
            continue;
        }
        let f = |o: usize| f32::from_le_bytes([chunk[o], chunk[o + 1], chunk[o + 2], chunk[o + 3]]);
        out.push((i as u8, count, f(2), f(6), f(10)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn batches_round_trip(ticks in proptest::collection::vec((0i64..100_000, proptest::collection::btree_map(0u32..5000, -1e9f32..1e9, 0..40)), 0..30)) {
            let start = 1_700_000_000_000i64;
            let mut enc = BatchEncoder::new(start);
            let mut expected = Vec::new();
            let mut ts = start;
            for (dt, values) in &ticks {
                ts += dt;
                let pairs: Vec<(u32, f32)> = values.iter().map(|(k, v)| (*k, *v)).collect();
                enc.push(ts, &pairs);
                expected.extend(pairs.iter().map(|(id, v)| (ts, *id, *v)));
            }
            let (s, _end, n, blob) = enc.finish();
            prop_assert_eq!(n as usize, ticks.len());
            let mut got = Vec::new();
            decode_batch(s, &blob, |t, id, v| got.push((t, id, v))).expect("decodes");
            prop_assert_eq!(&got, &expected);
            if let Some(&(_, id, _)) = expected.first() {
                let mut one = Vec::new();
                decode_series(s, &blob, id, |t, v| one.push((t, id, v))).expect("decodes");
                let want: Vec<_> = expected.iter().copied().filter(|e| e.1 == id).collect();
                prop_assert_eq!(one, want);
            }
        }

        #[test]
        fn decoders_never_panic_on_garbage(blob in proptest::collection::vec(any::<u8>(), 0..200), id in 0u32..10) {
            let _ = decode_batch(0, &blob, |_, _, _| {});
            let _ = decode_series(0, &blob, id, |_, _| {});
            let _ = decode_minutes(&blob);
        }
    }

    #[test]
    fn minutes_round_trip_skipping_empty_ones() {
        let mut minutes = [None; 60];
        minutes[3] = Some(Bucket {
            count: 2,
            min: 1.0,
            max: 3.0,
            sum: 4.0,
        });
        let decoded = decode_minutes(&encode_minutes(&minutes)).expect("decodes");
        assert_eq!(decoded, vec![(3, 2, 1.0, 3.0, 2.0)]);
    }
}
