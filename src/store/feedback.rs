//! Feedback votes: writes, the last vote of a browser, and satisfaction over a window.

use serde::Serialize;
use sqlx::Row;

use super::{Store, StoreError, WriteSource};

/// One vote as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVote {
    pub ts_ms: i64,
    /// Random id of the browser that voted.
    pub voter: String,
    pub thumbs_up: bool,
    pub comment: Option<String>,
    /// JSON object of key metrics at the moment of the vote.
    pub metrics: String,
}

/// Vote counts since some moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VoteCounts {
    pub votes: u32,
    pub thumbs_up: u32,
}

impl VoteCounts {
    /// Share of 👍 in percent, `None` without votes.
    pub fn satisfaction_percent(&self) -> Option<f64> {
        (self.votes > 0).then(|| f64::from(self.thumbs_up) * 100.0 / f64::from(self.votes))
    }
}

/// A stored vote as the Diagnostics view lists it (the browser id stays in the database).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredVote {
    pub ts_ms: i64,
    pub thumbs_up: bool,
    pub comment: Option<String>,
    /// The key metrics stored with the vote, as JSON.
    pub metrics: serde_json::Value,
}

impl Store {
    /// Stores one vote; returns its row id.
    pub async fn insert_vote(&self, vote: &NewVote) -> Result<i64, StoreError> {
        let mut tx = self.begin_write(WriteSource::Feedback).await?;
        let id = sqlx::query_scalar(
            "INSERT INTO feedback (ts_ms, voter, vote, comment, metrics) VALUES (?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(vote.ts_ms)
        .bind(&vote.voter)
        .bind(if vote.thumbs_up { 1i64 } else { -1 })
        .bind(vote.comment.as_deref())
        .bind(&vote.metrics)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest `limit` votes, newest first.
    pub async fn recent_votes(&self, limit: u32) -> Result<Vec<StoredVote>, StoreError> {
        let rows = sqlx::query(
            "SELECT ts_ms, vote, comment, metrics FROM feedback ORDER BY ts_ms DESC, id DESC LIMIT ?",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let metrics: String = row.try_get(3)?;
                Ok(StoredVote {
                    ts_ms: row.try_get(0)?,
                    thumbs_up: row.try_get::<i64, _>(1)? > 0,
                    comment: row.try_get(2)?,
                    metrics: serde_json::from_str(&metrics).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// Unix milliseconds of the latest vote of `voter`, if any.
    pub async fn last_vote_of(&self, voter: &str) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MAX(ts_ms) FROM feedback WHERE voter = ?")
                .bind(voter)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Votes cast at or after `since_ms`, and the oldest of them (for "try again at").
    pub async fn votes_since(
        &self,
        since_ms: i64,
    ) -> Result<(VoteCounts, Option<i64>), StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(SUM(vote > 0), 0), MIN(ts_ms) FROM feedback WHERE ts_ms >= ?",
        )
        .bind(since_ms)
        .fetch_one(&self.pool)
        .await?;
        let votes: i64 = row.try_get(0)?;
        let up: i64 = row.try_get(1)?;
        let oldest: Option<i64> = row.try_get(2)?;
        Ok((
            VoteCounts {
                votes: u32::try_from(votes).unwrap_or(u32::MAX),
                thumbs_up: u32::try_from(up).unwrap_or(u32::MAX),
            },
            oldest,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(ts_ms: i64, voter: &str, up: bool) -> NewVote {
        NewVote {
            ts_ms,
            voter: voter.into(),
            thumbs_up: up,
            comment: None,
            metrics: "{}".into(),
        }
    }

    #[tokio::test]
    async fn satisfaction_counts_only_votes_inside_the_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("h.db")).await.expect("store");
        store
            .insert_vote(&vote(1_000, "a", false))
            .await
            .expect("insert");
        store
            .insert_vote(&vote(5_000, "a", true))
            .await
            .expect("insert");
        store
            .insert_vote(&vote(6_000, "b", true))
            .await
            .expect("insert");
        store
            .insert_vote(&vote(7_000, "c", false))
            .await
            .expect("insert");
        let (counts, oldest) = store.votes_since(5_000).await.expect("counts");
        assert_eq!(
            counts,
            VoteCounts {
                votes: 3,
                thumbs_up: 2
            }
        );
        assert_eq!(oldest, Some(5_000));
        let pct = counts.satisfaction_percent().expect("some");
        assert!((pct - 66.666).abs() < 0.01, "{pct}");
        assert_eq!(store.last_vote_of("a").await.expect("last"), Some(5_000));
        assert_eq!(store.last_vote_of("zzz").await.expect("last"), None);
        let (none, _) = store.votes_since(10_000).await.expect("counts");
        assert_eq!(none.satisfaction_percent(), None);
        let recent = store.recent_votes(2).await.expect("recent");
        assert_eq!(recent.len(), 2);
        assert_eq!((recent[0].ts_ms, recent[0].thumbs_up), (7_000, false));
        assert_eq!(recent[1].metrics, serde_json::json!({}));
        store.close().await;
    }
}
