//! Checking an import file before anything is written: the header, then every line (a time,
//! a series the registry knows, a finite number); every bad line is reported with its number.

use crate::model::registry;
use crate::store::StoreError;

/// The header every import file starts with.
pub const HEADER: &str = "ts,series,value";
/// Most bad lines listed in one error.
const MAX_LISTED: usize = 20;

/// One checked line.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub ts_ms: i64,
    pub series: String,
    pub value: f64,
}

/// A line the importer refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based, the header being line 1.
    pub line: usize,
    pub problem: String,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad line(s), nothing imported: {}", .0.len(), list(.0))]
    BadLines(Vec<BadLine>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(lines: &[BadLine]) -> String {
    let mut out: Vec<String> = lines
        .iter()
        .take(MAX_LISTED)
        .map(|b| format!("line {}: {}", b.line, b.problem))
        .collect();
    if lines.len() > MAX_LISTED {
        out.push(format!("and {} more", lines.len() - MAX_LISTED));
    }
    out.join("; ")
}

/// Checks `text` (the whole file): header, three fields, a Unix-seconds time not after
/// `now_ms`, a series the registry knows, a finite number.
pub fn parse(text: &str, now_ms: i64) -> Result<Vec<ImportRow>, Vec<BadLine>> {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == HEADER => {}
        other => {
            return Err(vec![BadLine {
                line: 1,
                problem: format!(
                    "the first line must be the header '{HEADER}', found '{}'",
                    other.map_or("", |(_, h)| h.trim())
                ),
            }]);
        }
    }
    for (index, line) in lines {
        let line_no = index + 1;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line, now_ms) {
            Ok(row) => rows.push(row),
            Err(problem) => bad.push(BadLine {
                line: line_no,
                problem,
            }),
        }
    }
    if bad.is_empty() { Ok(rows) } else { Err(bad) }
}

fn parse_line(line: &str, now_ms: i64) -> Result<ImportRow, String> {
    let fields: Vec<&str> = line.split(',').map(str::trim).collect();
    let [ts, series, value] = fields[..] else {
        return Err(format!(
            "expected 3 fields (ts,series,value), found {}",
            fields.len()
        ));
    };
    let ts: i64 = ts
        .parse()
        .map_err(|_| format!("'{ts}' is not a time in Unix seconds"))?;
    let ts_ms = ts
        .checked_mul(1000)
        .filter(|t| *t >= 0)
        .ok_or_else(|| format!("time {ts} is out of range"))?;
    if ts_ms > now_ms {
        return Err(format!("time {ts} is in the future"));
    }
    if registry::by_id(series).is_none() {
        return Err(format!("unknown series '{series}'"));
    }
    let value: f64 = value
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("'{value}' is not a finite number"))?;
    Ok(ImportRow {
        ts_ms,
        series: series.to_string(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn good_lines_parse() {
        let rows = parse(
            "ts,series,value\n1700000000,cpu.usage,12.5\n\n1700000060,disk./data.used_bytes,1e9\n",
            NOW,
        )
        .expect("good file");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].series, "disk./data.used_bytes");
        assert_eq!(rows[0].ts_ms, 1_700_000_000_000);
    }

    #[test]
    fn every_bad_line_is_named_by_its_number() {
        let text = "ts,series,value\n1700000000,cpu.usage,1\nabc,cpu.usage,1\n1700000000,nope.series,1\n1700000000,cpu.usage,NaN\n1700000000,cpu.usage\n9999999999,cpu.usage,1\n";
        let bad = parse(text, NOW).expect_err("bad lines");
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7]);
        assert!(bad[1].problem.contains("unknown series 'nope.series'"));
        assert!(bad[4].problem.contains("future"));
        let message = ImportError::BadLines(bad).to_string();
        assert!(
            message.starts_with("5 bad line(s), nothing imported: line 3:"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_header_is_line_one() {
        let bad = parse("1700000000,cpu.usage,1\n", NOW).expect_err("no header");
        assert_eq!(bad[0].line, 1);
    }
}
