//! History as columns (`format=columns` on the history API): the shape chart libraries take,
//! about a fifth of the bytes of the point list, so a week of minutes loads quickly.

use serde::Serialize;

use crate::store::{History, Resolution, SeriesInfo};

/// Times and values in two parallel arrays.
#[derive(Debug, Clone, Serialize)]
pub struct Columns {
    pub series: SeriesInfo,
    pub resolution: Resolution,
    pub from: i64,
    pub to: i64,
    /// Unix seconds (bucket starts for rollups).
    pub t: Vec<f64>,
    /// Values (means for rollups). Stored values are `f32`; sending them as `f32` prints the
    /// shortest exact form (`30.3`, not `30.299999237060547`).
    pub v: Vec<f32>,
}

impl From<History> for Columns {
    fn from(history: History) -> Self {
        let (t, v) = history.points.iter().map(|p| (p.t, p.v as f32)).unzip();
        Columns {
            series: history.series,
            resolution: history.resolution,
            from: history.from,
            to: history.to,
            t,
            v,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::{Kind, Unit};
    use crate::store::Point;

    #[test]
    fn columns_keep_order_and_print_short_values() {
        let point = |t: f64, v: f32| Point {
            t,
            v: f64::from(v),
            min: None,
            max: None,
            n: None,
        };
        let history = History {
            series: SeriesInfo {
                id: "cpu.usage".into(),
                host: "local".into(),
                family: "cpu.usage".into(),
                labels: BTreeMap::new(),
                unit: Unit::Percent,
                kind: Kind::Gauge,
                description: String::new(),
            },
            resolution: Resolution::Minute,
            from: 0,
            to: 120_000,
            points: vec![point(0.0, 30.3), point(60.0, 12.25)],
        };
        let json = serde_json::to_string(&Columns::from(history)).expect("json");
        assert!(
            json.ends_with(r#""t":[0.0,60.0],"v":[30.3,12.25]}"#),
            "{json}"
        );
    }
}
