//! "Is the system responsive and efficient? 👍 / 👎": votes, the per-browser limit and the
//! satisfaction numbers (`GET`/`POST /api/v1/feedback`, and `feedback` in `/api/v1/status`).
//!
//! Behind Ingress a voter is the Home Assistant user the Supervisor names (`voter.rs`), so one
//! person's browsers share one vote; otherwise a browser is known by a random id in an
//! HttpOnly cookie the server sets on its first vote. The limit is checked against the votes in
//! SQLite, so it holds across restarts. The rules are in `limit.rs`, the cookie in `cookie.rs`,
//! the handlers in `handlers.rs`.

mod cookie;
mod handlers;
mod limit;
mod satisfaction;
mod state;
mod voter;

pub use cookie::{COOKIE, cookie_path, voter_from};
pub use handlers::{MAX_COMMENT, clean_comment, router, show, vote};
pub use limit::{VoteLimiter, VoteRefusal};
pub use state::{FeedbackState, FeedbackSummary};
pub use voter::{Identity, USER_ID_HEADER, identify};

#[cfg(test)]
mod tests;
