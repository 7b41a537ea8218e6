//! Opening a store: the file is opened safely (see [`open`](super::open)), then a run loads
//! what it keeps in memory (the series list, how far ticks are saved and rolled up, the
//! notices) and checks that the history still holds what the previous run saved.

use std::path::Path;
use std::sync::Arc;

use sqlx::Row;

use super::ledger::WriteLedger;
use super::series::{KnownSeries, SeriesInfo};
use super::shared::Shared;
use super::state::SAVED_UNTIL;
use super::{Store, StoreError, StoreOptions, open};
use crate::model::{Kind, Unit};
use crate::util::lock;

impl Store {
    /// Opens (creating if needed) the database, applies migrations and loads the series list.
    /// See [`open`] for what happens to a damaged file.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, StoreOptions::default()).await
    }

    /// [`Store::open`] with test seams (see [`StoreOptions`]).
    pub async fn open_with(path: &Path, opts: StoreOptions) -> Result<Store, StoreError> {
        let opened_ms = opts.clock.now_ms();
        let opened = open::open(path, &opts).await?;
        let store = Store {
            pool: opened.pool,
            path: path.to_path_buf(),
            opts,
            opened_ms,
            shared: Arc::new(Shared::default()),
            ledger: Arc::new(WriteLedger::new(path)),
        };
        store.load_series().await?;
        let rolled = store.state("rolled_until_ms").await?;
        let saved = store.state(SAVED_UNTIL).await?;
        {
            let mut status = lock(&store.shared.status);
            status.rolled_until_ms = rolled;
            status.saved_until_ms = saved;
        }
        let mut found = opened.notices;
        if let Some(notice) = store.check_saved_marker(saved, rolled).await? {
            found.push(notice);
        }
        for notice in &found {
            tracing::error!(kind = %notice.kind, "{}", notice.message);
            store.record_notice(notice).await?;
        }
        store.load_notices(store.clock().now_ms()).await?;
        Ok(store)
    }

    pub(super) async fn load_series(&self) -> Result<(), StoreError> {
        let rows = sqlx::query(
            "SELECT id, key, host, family, labels, unit, kind, description FROM series",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut map = lock(&self.shared.series);
        for row in rows {
            let id: i64 = row.try_get("id")?;
            let key: String = row.try_get("key")?;
            let labels: String = row.try_get("labels")?;
            let unit: String = row.try_get("unit")?;
            let kind: String = row.try_get("kind")?;
            let info = SeriesInfo {
                id: key.clone(),
                host: row.try_get("host")?,
                family: row.try_get("family")?,
                labels: serde_json::from_str(&labels).unwrap_or_default(),
                unit: Unit::parse(&unit).unwrap_or(Unit::Count),
                kind: if kind == "counter" {
                    Kind::Counter
                } else {
                    Kind::Gauge
                },
                description: row.try_get("description")?,
            };
            map.insert(
                key,
                KnownSeries {
                    id: id as u32,
                    info,
                },
            );
        }
        Ok(())
    }
}
