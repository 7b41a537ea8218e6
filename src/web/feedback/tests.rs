//! The voting rules, the cookie, comments, and the limiter's window on the app's clock.

use axum::http::{HeaderMap, HeaderValue, header};

use super::cookie::set_cookie;
use super::*;
use crate::util::time::HOUR_MS;

const T0: i64 = 1_800_000_000_000;

#[test]
fn a_browser_may_vote_once_per_hour() {
    let limiter = VoteLimiter::default();
    assert_eq!(limiter.check(T0, None, 0, None), Ok(()));
    let refused = limiter.check(T0 + 10 * 60_000, Some(T0), 1, Some(T0));
    assert_eq!(
        refused,
        Err(VoteRefusal::AlreadyVoted {
            voted_at_ms: T0,
            retry_at_ms: T0 + HOUR_MS
        })
    );
    assert_eq!(limiter.check(T0 + HOUR_MS, Some(T0), 1, Some(T0)), Ok(()));
}

#[test]
fn all_browsers_together_are_capped_per_hour() {
    let limiter = VoteLimiter {
        per_browser_ms: HOUR_MS,
        per_hour: 3,
    };
    assert_eq!(limiter.check(T0, None, 2, Some(T0 - 1000)), Ok(()));
    assert_eq!(
        limiter.check(T0, None, 3, Some(T0 - 20 * 60_000)),
        Err(VoteRefusal::TooManyVotes {
            retry_at_ms: T0 + 40 * 60_000
        })
    );
}

#[test]
fn refusals_are_polite_and_say_when_to_come_back() {
    let r = VoteRefusal::AlreadyVoted {
        voted_at_ms: T0,
        retry_at_ms: T0 + HOUR_MS,
    };
    assert_eq!(
        r.message(T0 + 12 * 60_000 + 5_000),
        "Thanks, your vote from 12 minutes ago is counted. One vote per hour keeps the numbers fair: you can vote again in 48 minutes."
    );
    assert!(r.message(T0 + 1000).contains("from just now"));
    assert!(
        r.message(T0 + HOUR_MS - 1000)
            .ends_with("in about a minute.")
    );
    let many = VoteRefusal::TooManyVotes {
        retry_at_ms: T0 + 5 * 60_000,
    };
    assert!(many.message(T0).ends_with("try again in 5 minutes."));
}

#[test]
fn the_cookie_is_read_only_when_well_formed() {
    let mut h = HeaderMap::new();
    h.insert(
        header::COOKIE,
        HeaderValue::from_static("a=1; rm_voter=0123456789abcdef0123456789abcdef; b=2"),
    );
    assert_eq!(
        voter_from(&h).as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    h.insert(
        header::COOKIE,
        HeaderValue::from_static("rm_voter=../../etc"),
    );
    assert_eq!(voter_from(&h), None);
    assert_eq!(voter_from(&HeaderMap::new()), None);
}

#[test]
fn the_cookie_stays_inside_the_ingress_prefix() {
    let mut h = HeaderMap::new();
    assert_eq!(cookie_path(&h), "/");
    h.insert(
        "x-ingress-path",
        HeaderValue::from_static("/api/hassio_ingress/AbC-123_x"),
    );
    assert_eq!(cookie_path(&h), "/api/hassio_ingress/AbC-123_x/");
    h.insert(
        "x-ingress-path",
        HeaderValue::from_static("/x; Domain=evil"),
    );
    assert_eq!(cookie_path(&h), "/");
    let cookie = set_cookie("00ff", &HeaderMap::new()).expect("cookie");
    assert_eq!(
        cookie.to_str().expect("ascii"),
        "rm_voter=00ff; Max-Age=31536000; Path=/; HttpOnly; SameSite=Strict"
    );
}

#[test]
fn comments_are_trimmed_capped_and_stripped_of_control_characters() {
    assert_eq!(clean_comment(None), None);
    assert_eq!(clean_comment(Some("   ")), None);
    assert_eq!(
        clean_comment(Some(" slow\u{7}\nUI ")).as_deref(),
        Some("slow  UI")
    );
    let long = "x".repeat(5000);
    assert_eq!(
        clean_comment(Some(&long)).map(|c| c.len()),
        Some(MAX_COMMENT)
    );
}

mod on_the_clock {
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::State;
    use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

    use super::super::{COOKIE, vote};
    use super::T0;
    use crate::config::{Cli, Config};
    use crate::store::{Store, StoreOptions};
    use crate::util::ManualClock;
    use crate::web::access::Peer;
    use crate::web::error::ApiError;
    use crate::web::{AppParts, AppState};

    async fn state(dir: &std::path::Path, clock: &ManualClock) -> AppState {
        let cli = Cli {
            data_dir: Some(dir.to_path_buf()),
            ..Cli::default()
        };
        let config = Config::load(&cli, &|_| None).expect("config");
        let options = StoreOptions {
            clock: clock.clock(),
            ..StoreOptions::default()
        };
        let store = Store::open_with(&config.database_path(), options)
            .await
            .expect("store");
        AppState::new(AppParts::without_engine(config, store))
    }

    async fn thumbs_up(state: &AppState) -> Result<StatusCode, ApiError> {
        let mut headers = HeaderMap::new();
        let cookie = format!("{COOKIE}={}", "ab".repeat(16));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).expect("cookie"),
        );
        let body = Bytes::from_static(br#"{"vote": "up"}"#);
        vote(State(state.clone()), Peer(None), headers, body)
            .await
            .map(|response| response.status())
    }

    #[tokio::test]
    async fn a_browser_votes_again_exactly_when_its_hour_is_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(T0);
        let state = state(dir.path(), &clock).await;
        assert_eq!(thumbs_up(&state).await.ok(), Some(StatusCode::CREATED));

        clock.advance(Duration::from_secs(59 * 60 + 59));
        match thumbs_up(&state).await {
            Err(ApiError::TooManyRequests { retry_at_ms, .. }) => {
                assert_eq!(retry_at_ms, T0 + 3_600_000, "an hour after the first vote");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }

        clock.advance(Duration::from_secs(1));
        assert_eq!(thumbs_up(&state).await.ok(), Some(StatusCode::CREATED));
    }

    /// A vote with neither cookie nor Home Assistant user, from `peer`: status and the
    /// cookie it was given.
    async fn anonymous_vote(state: &AppState, peer: &str) -> (StatusCode, Option<String>) {
        let body = Bytes::from_static(br#"{"vote": "down"}"#);
        let peer = Peer(Some(peer.parse().expect("ip")));
        match vote(State(state.clone()), peer, HeaderMap::new(), body).await {
            Ok(response) => (
                response.status(),
                response
                    .headers()
                    .get(header::SET_COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(String::from),
            ),
            Err(err) => (
                axum::response::IntoResponse::into_response(err).status(),
                None,
            ),
        }
    }

    #[tokio::test]
    async fn repeated_anonymous_votes_from_one_client_count_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = ManualClock::new(T0);
        let state = state(dir.path(), &clock).await;
        let (status, cookie) = anonymous_vote(&state, "10.0.0.7").await;
        assert_eq!(status, StatusCode::CREATED);
        let cookie = cookie.expect("the voter's key comes back as a cookie");
        for _ in 0..19 {
            clock.advance(Duration::from_secs(1));
            assert_eq!(
                anonymous_vote(&state, "10.0.0.7").await.0,
                StatusCode::TOO_MANY_REQUESTS
            );
        }
        // Another client is another voter.
        assert_eq!(
            anonymous_vote(&state, "10.0.0.8").await.0,
            StatusCode::CREATED
        );
        let voters: std::collections::BTreeSet<String> = state
            .inner
            .parts
            .store
            .recent_votes(100)
            .await
            .expect("votes")
            .into_iter()
            .map(|v| format!("{}", v.ts_ms))
            .collect();
        assert_eq!(voters.len(), 2, "two votes stored, not twenty");
        // The cookie names the same voter: the browser voting with it is still refused.
        let key = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v.to_string());
        assert_eq!(key.as_deref().map(str::len), Some(32), "{cookie}");
        assert!(
            !cookie.contains("10.0.0.7"),
            "the address is not in the cookie"
        );
    }
}
