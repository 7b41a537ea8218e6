//! A parser of the Prometheus text exposition format (0.0.4), as node_exporter and our own
//! `/metrics` write it.
//!
//! It borrows from the page (no allocation per sample unless a label value holds an escape)
//! and never panics: a line it cannot read is skipped and counted, the rest of the page still
//! counts, so one odd metric from a newer exporter never hides a host.

use std::borrow::Cow;

/// One sample line: `name{label="value",…} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSample<'a> {
    pub name: &'a str,
    pub labels: Vec<(&'a str, Cow<'a, str>)>,
    pub value: f64,
    /// Milliseconds, when the line gives one.
    pub timestamp_ms: Option<i64>,
}

impl PromSample<'_> {
    /// The value of label `name`, or "".
    pub fn label(&self, name: &str) -> &str {
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_ref())
    }
}

/// A parsed page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page<'a> {
    pub samples: Vec<PromSample<'a>>,
    /// Lines that were neither samples nor comments.
    pub bad_lines: usize,
    /// The first of them, for the log: line number (from 1) and why.
    pub first_error: Option<(usize, &'static str)>,
}

/// Parses a whole page.
pub fn parse(text: &str) -> Page<'_> {
    let mut page = Page {
        samples: Vec::with_capacity(text.len() / 64),
        ..Page::default()
    };
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match parse_line(trimmed) {
            Ok(sample) => page.samples.push(sample),
            Err(why) => {
                page.bad_lines += 1;
                if page.first_error.is_none() {
                    page.first_error = Some((n + 1, why));
                }
            }
        }
    }
    page
}

/// A cursor over one line.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The longest run of bytes passing `first` then `rest`; `None` if empty.
    fn name(&mut self, first: fn(u8) -> bool, rest: fn(u8) -> bool) -> Option<&'a str> {
        let start = self.pos;
        match self.peek() {
            Some(b) if first(b) => self.pos += 1,
            _ => return None,
        }
        while self.peek().is_some_and(rest) {
            self.pos += 1;
        }
        // Names are ASCII, so these are character boundaries.
        self.text.get(start..self.pos)
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// A quoted label value (the opening quote already eaten), escapes resolved.
    fn quoted(&mut self) -> Result<Cow<'a, str>, &'static str> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            match bytes.get(self.pos) {
                None => return Err("unterminated label value"),
                Some(b'"') => {
                    let tail = self.text.get(run..self.pos).ok_or("bad label value")?;
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut s) => {
                            s.push_str(tail);
                            Cow::Owned(s)
                        }
                    });
                }
                Some(b'\\') => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(self.text.get(run..self.pos).ok_or("bad label value")?);
                    match bytes.get(self.pos + 1) {
                        Some(b'n') => s.push('\n'),
                        Some(b'\\') => s.push('\\'),
                        Some(b'"') => s.push('"'),
                        _ => return Err("bad escape in label value"),
                    }
                    self.pos += 2;
                    run = self.pos;
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// The next blank-separated token.
    fn token(&mut self) -> Option<&'a str> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b != b' ' && b != b'\t') {
            self.pos += 1;
        }
        // Stops only at ASCII blanks or the end: a character boundary.
        self.text.get(start..self.pos).filter(|t| !t.is_empty())
    }
}

fn name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}
fn name_rest(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}
fn label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}
fn label_rest(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn parse_line(line: &str) -> Result<PromSample<'_>, &'static str> {
    let mut c = Cursor { text: line, pos: 0 };
    let name = c.name(name_start, name_rest).ok_or("bad metric name")?;
    c.skip_blanks();
    let mut labels = Vec::new();
    if c.eat(b'{') {
        loop {
            c.skip_blanks();
            if c.eat(b'}') {
                break;
            }
            let label = c.name(label_start, label_rest).ok_or("bad label name")?;
            c.skip_blanks();
            if !c.eat(b'=') {
                return Err("expected '=' after a label name");
            }
            c.skip_blanks();
            if !c.eat(b'"') {
                return Err("expected a quoted label value");
            }
            labels.push((label, c.quoted()?));
            c.skip_blanks();
            if c.eat(b',') {
                continue;
            }
            if c.eat(b'}') {
                break;
            }
            return Err("expected ',' or '}' after a label");
        }
        c.skip_blanks();
    }
    let value = parse_value(c.token().ok_or("missing value")?).ok_or("bad value")?;
    c.skip_blanks();
    let timestamp_ms = match c.token() {
        None => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| "bad timestamp")?),
    };
    c.skip_blanks();
    if c.peek().is_some() {
        return Err("text after the timestamp");
    }
    Ok(PromSample {
        name,
        labels,
        value,
        timestamp_ms,
    })
}

/// Go's float spellings as Prometheus writes them (`NaN`, `+Inf`, `-Inf`, `1e+06`).
fn parse_value(token: &str) -> Option<f64> {
    match token {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        // Rust's parser also takes "infinity" and friends; Prometheus does not write them.
        t if t
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            None
        }
        t => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_names_labels_escapes_special_values_and_timestamps() {
        let page = parse(concat!(
            "# HELP node_load1 1m load average.\n",
            "# TYPE node_load1 gauge\n",
            "node_load1 0.21\n",
            "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1.2345e+06\n",
            "  spaced { a = \"x\" , b=\"q\\\"\\\\\\n\", } -Inf 1700000000000\r\n",
            "nan_metric NaN\n",
            "empty{} 3\n",
        ));
        assert_eq!(page.bad_lines, 0, "{:?}", page.first_error);
        assert_eq!(page.samples.len(), 5);
        assert_eq!(page.samples[0].name, "node_load1");
        assert_eq!(page.samples[1].label("mode"), "idle");
        assert_eq!(page.samples[1].value, 1_234_500.0);
        let spaced = &page.samples[2];
        assert_eq!(spaced.label("b"), "q\"\\\n");
        assert_eq!(spaced.value, f64::NEG_INFINITY);
        assert_eq!(spaced.timestamp_ms, Some(1_700_000_000_000));
        assert!(page.samples[3].value.is_nan());
        assert!(page.samples[4].labels.is_empty());
    }

    #[test]
    fn bad_lines_are_skipped_counted_and_the_first_named() {
        let page =
            parse("ok 1\n9bad 1\nx{a=\"1\" 2\nx{a=1} 2\nx 1 2 3\nx one\nx infinity\nfine 2\n");
        assert_eq!(page.samples.len(), 2);
        assert_eq!(page.bad_lines, 6);
        assert_eq!(page.first_error, Some((2, "bad metric name")));
    }

    fn render(name: &str, labels: &[(String, String)], value: f64) -> String {
        let mut line = name.to_string();
        if !labels.is_empty() {
            line.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                let escaped = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                line.push_str(&format!("{k}=\"{escaped}\""));
            }
            line.push('}');
        }
        format!("{line} {value}\n")
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let text = String::from_utf8_lossy(&bytes);
            let page = parse(&text);
            prop_assert!(page.samples.len() + page.bad_lines <= text.split('\n').count());
        }

        #[test]
        fn never_panics_on_near_valid_lines(text in "[a-z_{}=\",\\\\ .0-9eE+\\-#\n\t]{0,300}") {
            let _ = parse(&text);
        }

        #[test]
        fn reads_back_what_an_exporter_writes(
            name in "[a-zA-Z_:][a-zA-Z0-9_:]{0,20}",
            labels in proptest::collection::vec(("[a-zA-Z_][a-zA-Z0-9_]{0,8}", "\\PC{0,12}"), 0..4),
            value in proptest::num::f64::NORMAL | proptest::num::f64::ZERO,
        ) {
            let text = render(&name, &labels, value);
            let page = parse(&text);
            prop_assert_eq!(page.bad_lines, 0, "{:?} in {}", page.first_error, text);
            let sample = &page.samples[0];
            prop_assert_eq!(sample.name, name.as_str());
            prop_assert_eq!(sample.value, value);
            let got: Vec<(String, String)> = sample
                .labels
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.to_string()))
                .collect();
            prop_assert_eq!(got, labels);
        }
    }
}
