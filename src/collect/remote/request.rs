//! The request side of a scrape: how long it may take, the address shown without credentials,
//! and the credentials added (remote write sends its requests the same way).

use std::time::Duration;

use crate::config::Auth;

/// The longest a scrape may take: the interval, at most 10 s.
pub fn timeout(interval: Duration) -> Duration {
    interval.clamp(Duration::from_secs(1), Duration::from_secs(10))
}

/// `url` without credentials, for logs and the dashboard.
pub fn display_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

/// Adds the host's credentials to a request.
pub fn authorize(request: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token.expose()),
        Auth::Basic { username, password } => request.basic_auth(username, Some(password.expose())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_and_timeouts_stay_within_the_interval() {
        assert_eq!(
            display_url("http://u:p@nas:9100/metrics"),
            "http://nas:9100/metrics"
        );
        assert_eq!(display_url("https://nas/metrics"), "https://nas/metrics");
        assert_eq!(display_url("http://a@b@c"), "http://c");
        assert_eq!(timeout(Duration::from_secs(2)), Duration::from_secs(2));
        assert_eq!(timeout(Duration::from_secs(60)), Duration::from_secs(10));
    }
}
