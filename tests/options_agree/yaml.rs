//! A reader of the YAML subset `config.yaml` and `translations/en.yaml` use: nested block maps
//! and lists, `- key: value` list entries, plain and quoted scalars, `>-` folded text, comments.
//! Enough to compare those files with the Rust reader; anything else is an error, not a guess.

use serde_json::{Map, Value};

struct Line {
    indent: usize,
    text: String,
}

/// Parses `text` into JSON values (integers, floats, booleans, `[]` and `{}` typed; the rest
/// strings).
pub fn parse(text: &str) -> Result<Value, String> {
    let lines = text
        .lines()
        .filter_map(|raw| {
            let body = strip_comment(raw);
            let trimmed = body.trim_start();
            (!trimmed.trim().is_empty()).then(|| Line {
                indent: body.len() - trimmed.len(),
                text: trimmed.trim_end().to_string(),
            })
        })
        .collect();
    let mut parser = Parser { lines, pos: 0 };
    let value = parser.block(0)?;
    match parser.lines.get(parser.pos) {
        None => Ok(value),
        Some(line) => Err(format!("unexpected line: {}", line.text)),
    }
}

/// The line without a `#` comment (one at the start, or after a space outside quotes).
fn strip_comment(raw: &str) -> &str {
    let mut quote = None;
    let mut previous = ' ';
    for (i, c) in raw.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') if previous == ' ' => return &raw[..i],
            _ => {}
        }
        previous = c;
    }
    raw
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// `key: rest` or `key:` (keys here are plain words).
fn split_key(text: &str) -> Option<(&str, &str)> {
    if text.starts_with(['\'', '"']) {
        return None;
    }
    if let Some(key) = text.strip_suffix(':') {
        return (!key.contains(": ")).then_some((key, ""));
    }
    let (key, rest) = text.split_once(": ")?;
    Some((key, rest.trim()))
}

impl Parser {
    fn block(&mut self, indent: usize) -> Result<Value, String> {
        match self.lines.get(self.pos) {
            Some(line) if is_item(&line.text) => self.list(indent),
            Some(_) => self.map(indent),
            None => Ok(Value::Null),
        }
    }

    fn map(&mut self, indent: usize) -> Result<Value, String> {
        let mut map = Map::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent < indent || (line.indent == indent && is_item(&line.text)) {
                break;
            }
            if line.indent > indent {
                return Err(format!("unexpected indent: {}", line.text));
            }
            let (key, rest) =
                split_key(&line.text).ok_or_else(|| format!("not a key: {}", line.text))?;
            let (key, rest) = (key.to_string(), rest.to_string());
            self.pos += 1;
            let value = match rest.as_str() {
                "" => self.nested(indent)?,
                ">-" | ">" | "|" | "|-" => self.folded(indent),
                scalar => scalar_value(scalar),
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    /// The value under a `key:` with nothing after it.
    fn nested(&mut self, indent: usize) -> Result<Value, String> {
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => {
                let inner = next.indent;
                self.block(inner)
            }
            Some(next) if next.indent == indent && is_item(&next.text) => self.list(indent),
            _ => Ok(Value::Null),
        }
    }

    fn folded(&mut self, indent: usize) -> Value {
        let mut parts = Vec::new();
        while let Some(line) = self.lines.get(self.pos).filter(|l| l.indent > indent) {
            parts.push(line.text.clone());
            self.pos += 1;
        }
        Value::String(parts.join(" "))
    }

    fn list(&mut self, indent: usize) -> Result<Value, String> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.pos) {
            if line.indent != indent || !is_item(&line.text) {
                break;
            }
            let rest = line.text[1..].trim_start().to_string();
            if rest.is_empty() {
                self.pos += 1;
                items.push(self.nested(indent)?);
            } else if split_key(&rest).is_some() {
                // `- key: value` opens a map whose keys sit where `key` does.
                let inner = indent + (line.text.len() - rest.len());
                self.lines[self.pos] = Line {
                    indent: inner,
                    text: rest,
                };
                items.push(self.map(inner)?);
            } else {
                self.pos += 1;
                items.push(scalar_value(&rest));
            }
        }
        Ok(Value::Array(items))
    }
}

fn scalar_value(text: &str) -> Value {
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        return Value::String(inner.replace("''", "'"));
    }
    if text.starts_with('"')
        && let Ok(Value::String(s)) = serde_json::from_str(text)
    {
        return Value::String(s);
    }
    match text {
        "[]" => return Value::Array(Vec::new()),
        "{}" => return Value::Object(Map::new()),
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" | "~" => return Value::Null,
        _ => {}
    }
    if let Ok(n) = text.parse::<i64>() {
        return Value::from(n);
    }
    match text.parse::<f64>() {
        Ok(f) if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') => Value::from(f),
        _ => Value::String(text.to_string()),
    }
}

#[test]
fn reads_the_subset_these_files_use() {
    let text = "a: 1 # note\nb:\n  c: 'x: y'\n  d:\n    - p\n    - q\ne:\n  - n: 1\n    m: >-\n      one\n      two\nf: []\ng:\n- true\n";
    let want = serde_json::json!({
        "a": 1, "b": {"c": "x: y", "d": ["p", "q"]},
        "e": [{"n": 1, "m": "one two"}], "f": [], "g": [true]
    });
    assert_eq!(parse(text), Ok(want));
}
