use super::*;
use crate::model::{Sample, registry};
use proptest::prelude::*;

/// A protobuf reader for the four messages, to check what the encoder wrote.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.bytes[self.pos];
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    fn field(&mut self) -> (u64, u64) {
        let key = self.varint();
        (key >> 3, key & 7)
    }
    fn bytes(&mut self) -> &'a [u8] {
        let len = self.varint() as usize;
        let out = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        out
    }
    fn fixed64(&mut self) -> f64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[self.pos..self.pos + 8]);
        self.pos += 8;
        f64::from_le_bytes(b)
    }
}

/// The series of an uncompressed `WriteRequest` (the writer's tests read bodies with it).
pub(crate) fn decode(bytes: &[u8]) -> Vec<Series> {
    let mut out = Vec::new();
    let mut r = Reader { bytes, pos: 0 };
    while !r.done() {
        assert_eq!(r.field(), (1, 2));
        let mut ts = Reader {
            bytes: r.bytes(),
            pos: 0,
        };
        let mut series = Series {
            labels: Vec::new(),
            samples: Vec::new(),
        };
        while !ts.done() {
            match ts.field() {
                (1, 2) => {
                    let mut l = Reader {
                        bytes: ts.bytes(),
                        pos: 0,
                    };
                    assert_eq!(l.field(), (1, 2));
                    let name = String::from_utf8(l.bytes().to_vec()).expect("utf8");
                    assert_eq!(l.field(), (2, 2));
                    let value = String::from_utf8(l.bytes().to_vec()).expect("utf8");
                    assert!(l.done());
                    series.labels.push((name, value));
                }
                (2, 2) => {
                    let mut s = Reader {
                        bytes: ts.bytes(),
                        pos: 0,
                    };
                    assert_eq!(s.field(), (1, 1));
                    let value = s.fixed64();
                    assert_eq!(s.field(), (2, 0));
                    let t = s.varint() as i64;
                    assert!(s.done());
                    series.samples.push((t, value));
                }
                other => panic!("unexpected field {other:?}"),
            }
        }
        out.push(series);
    }
    out
}

#[test]
fn snapshots_become_one_series_each_with_the_metrics_names_labels_and_base_units() {
    let disk = Arc::new(registry::DISK_USED_PERCENT.instance("/data", &["/data"]));
    let load = Arc::new(registry::LOAD_1M.global().on_host(&Arc::from("nas")));
    let tick = |ts_ms, pct| {
        Arc::new(Snapshot {
            ts_ms,
            samples: vec![
                Sample {
                    series: disk.clone(),
                    value: pct,
                },
                Sample {
                    series: load.clone(),
                    value: 0.5,
                },
            ],
            ..Snapshot::default()
        })
    };
    let series = series_of(&[tick(1_000, 50.0), tick(6_000, 25.0)]);
    let pairs = |s: &Series| {
        s.labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    assert_eq!(
        pairs(&series[0]),
        "__name__=resource_manager_disk_used_ratio,host=local,mount=/data"
    );
    assert_eq!(series[0].samples, [(1_000, 0.5), (6_000, 0.25)]);
    assert_eq!(
        pairs(&series[1]),
        "__name__=resource_manager_load_1m,host=nas"
    );
    let body = body(&series);
    let raw = snap::raw::Decoder::new()
        .decompress_vec(&body)
        .expect("snappy");
    assert_eq!(raw, encode(&series));
    assert_eq!(decode(&raw), series);
}

proptest! {
    #[test]
    fn what_is_encoded_decodes_to_the_same_series(
        series in proptest::collection::vec(
            (
                proptest::collection::vec(("[a-z_]{1,10}", "\\PC{0,20}"), 0..5),
                proptest::collection::vec((any::<i64>(), any::<f64>().prop_filter("NaN", |v| !v.is_nan())), 0..20),
            ),
            0..8,
        )
    ) {
        let series: Vec<Series> = series
            .into_iter()
            .map(|(labels, samples)| Series { labels, samples })
            .collect();
        prop_assert_eq!(decode(&encode(&series)), series);
    }
}
