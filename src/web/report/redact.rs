//! Scrubbing the report before it is pasted in public: known secrets, addresses, URLs, host
//! names and token-like strings become [`REDACTED`].

/// Replacement for anything that must not leave the box.
pub const REDACTED: &str = "[redacted]";

/// Replaces anything that identifies the user's network or grants access.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(secret.as_str(), REDACTED);
    }
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    for c in text.chars() {
        if is_word_char(c) {
            word.push(c);
        } else {
            out.push_str(&scrub_word(&word));
            word.clear();
            out.push(c);
        }
    }
    out.push_str(&scrub_word(&word));
    out
}

/// Characters that can be part of an address, URL, host name or token.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '.' | ':' | '-' | '_' | '/' | '@' | '%' | '+' | '=' | '~' | '?' | '&' | '#'
        )
}

fn scrub_word(word: &str) -> String {
    // A sentence may end right after a word: keep that full stop out of the checks.
    let (core, tail) = match word.strip_suffix('.') {
        Some(core) => (core, "."),
        None => (word, ""),
    };
    if core.is_empty() || !sensitive(core) {
        return word.to_string();
    }
    format!("{REDACTED}{tail}")
}

fn sensitive(word: &str) -> bool {
    if word.contains("://") {
        return true;
    }
    if let Some((user, domain)) = word.split_once('@')
        && !user.is_empty()
        && domain.contains('.')
    {
        return true;
    }
    if has_ipv4(word) || looks_ipv6(word) {
        return true;
    }
    if word.split('/').any(looks_like_host) {
        return true;
    }
    // Tokens: long runs mixing letters and digits (JWTs, API keys, container ids).
    let long = word.len() >= 32 && !word.contains('/');
    long && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
}

fn has_ipv4(word: &str) -> bool {
    word.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .any(|part| {
            let octets: Vec<&str> = part.split('.').collect();
            octets.len() >= 4
                && octets.windows(4).any(|w| {
                    w.iter().all(|o| {
                        !o.is_empty() && o.len() <= 3 && o.parse::<u16>().is_ok_and(|n| n <= 255)
                    })
                })
        })
}

fn looks_ipv6(word: &str) -> bool {
    let colons = word.matches(':').count();
    let hexish = word
        .trim_matches(|c| c == '[' || c == ']')
        .split('%')
        .next()
        .is_some_and(|w| {
            w.chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        });
    hexish && (word.contains("::") && colons >= 2 || colons >= 4)
}

/// File extensions the report's own texts use (`recovered.db`, `options.json`) that are no
/// top-level domain: a file name is not a host name.
const FILE_EXTENSIONS: &[&str] = &[
    "db", "wal", "shm", "json", "yaml", "yml", "log", "txt", "csv", "part", "rw", "toml",
];

/// `name.domain.tld`: dotted labels ending in an alphabetic top-level label.
fn looks_like_host(part: &str) -> bool {
    let labels: Vec<&str> = part.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let tld = labels[labels.len() - 1];
    if FILE_EXTENSIONS.contains(&tld.to_ascii_lowercase().as_str()) {
        return false;
    }
    let tld_ok = (2..=24).contains(&tld.len()) && tld.chars().all(|c| c.is_ascii_alphabetic());
    tld_ok
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}
