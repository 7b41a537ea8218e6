//! The voting rules: one vote per browser an hour and a cap on all votes an hour, and the
//! polite sentence a refused vote gets.

use crate::util::time::HOUR_MS;

/// Why a vote is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteRefusal {
    /// This browser voted less than an hour ago.
    AlreadyVoted { voted_at_ms: i64, retry_at_ms: i64 },
    /// Too many votes in the last hour from all browsers together (cookies refused or reset).
    TooManyVotes { retry_at_ms: i64 },
}

impl VoteRefusal {
    /// When voting is possible again.
    pub fn retry_at_ms(&self) -> i64 {
        match *self {
            VoteRefusal::AlreadyVoted { retry_at_ms, .. }
            | VoteRefusal::TooManyVotes { retry_at_ms } => retry_at_ms,
        }
    }

    /// A polite sentence for the page.
    pub fn message(&self, now_ms: i64) -> String {
        let wait = minutes_until(now_ms, self.retry_at_ms());
        match *self {
            VoteRefusal::AlreadyVoted { voted_at_ms, .. } => {
                let ago = (now_ms - voted_at_ms).max(0) / 60_000;
                let when = if ago < 1 {
                    "just now".to_string()
                } else {
                    format!("{ago} minute{} ago", if ago == 1 { "" } else { "s" })
                };
                format!(
                    "Thanks, your vote from {when} is counted. One vote per hour keeps the numbers fair: you can vote again in {wait}."
                )
            }
            VoteRefusal::TooManyVotes { .. } => format!(
                "Thanks! Many votes arrived in the last hour, so this one was not counted. Please try again in {wait}."
            ),
        }
    }
}

fn minutes_until(now_ms: i64, at_ms: i64) -> String {
    // Round up: "in 0 minutes" would be wrong while any wait is left.
    let minutes = ((at_ms - now_ms).max(0) + 59_999) / 60_000;
    match minutes {
        0 | 1 => "about a minute".to_string(),
        m => format!("{m} minutes"),
    }
}

/// The voting rules: one vote per browser per `per_browser_ms`, and at most `per_hour` votes
/// an hour in total. Pure, so it is tested without a clock or a database.
#[derive(Debug, Clone, Copy)]
pub struct VoteLimiter {
    pub per_browser_ms: i64,
    pub per_hour: u32,
}

impl Default for VoteLimiter {
    fn default() -> Self {
        VoteLimiter {
            per_browser_ms: HOUR_MS,
            per_hour: 60,
        }
    }
}

impl VoteLimiter {
    /// Decides on a vote at `now_ms`, given this browser's last vote and the votes (count and
    /// oldest time) of the last hour.
    pub fn check(
        &self,
        now_ms: i64,
        last_of_browser: Option<i64>,
        votes_last_hour: u32,
        oldest_last_hour: Option<i64>,
    ) -> Result<(), VoteRefusal> {
        if let Some(last) = last_of_browser
            && now_ms < last + self.per_browser_ms
        {
            return Err(VoteRefusal::AlreadyVoted {
                voted_at_ms: last,
                retry_at_ms: last + self.per_browser_ms,
            });
        }
        if votes_last_hour >= self.per_hour {
            return Err(VoteRefusal::TooManyVotes {
                retry_at_ms: oldest_last_hour.unwrap_or(now_ms) + HOUR_MS,
            });
        }
        Ok(())
    }
}
