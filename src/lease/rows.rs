//! Leases to and from their stored rows.

use std::collections::BTreeMap;

use super::types::{Amounts, Lease, LeaseState, Priority};
use crate::store::LeaseRow;

/// The row of a lease.
pub fn to_row(lease: &Lease) -> LeaseRow {
    LeaseRow {
        id: lease.id.clone(),
        seq: lease.seq as i64,
        holder: lease.holder.clone(),
        request_id: lease.request_id.clone(),
        priority: lease.priority.as_str().to_string(),
        state: lease.state.as_str().to_string(),
        cpu_milli: lease.amounts.cpu_milli as i64,
        memory_mb: lease.amounts.memory_mb as i64,
        slots: serde_json::to_string(&lease.amounts.slots).unwrap_or_else(|_| "{}".into()),
        ttl_ms: lease.ttl_ms,
        created_ms: lease.created_ms,
        wait_until_ms: lease.wait_until_ms,
        granted_ms: lease.granted_ms,
        expires_ms: lease.expires_ms,
        revoke_ms: lease.revoke_ms,
        ended_ms: lease.ended_ms,
        reason: lease.reason.clone(),
    }
}

/// The lease of a row; `None` for a row this version cannot read (logged by the caller).
pub fn from_row(row: &LeaseRow) -> Option<Lease> {
    let slots: BTreeMap<String, u32> = serde_json::from_str(&row.slots).ok()?;
    Some(Lease {
        id: row.id.clone(),
        seq: u64::try_from(row.seq).ok()?,
        holder: row.holder.clone(),
        request_id: row.request_id.clone(),
        amounts: Amounts {
            cpu_milli: u64::try_from(row.cpu_milli).ok()?,
            memory_mb: u64::try_from(row.memory_mb).ok()?,
            slots,
        },
        priority: Priority::parse(&row.priority)?,
        state: LeaseState::parse(&row.state)?,
        ttl_ms: row.ttl_ms,
        created_ms: row.created_ms,
        wait_until_ms: row.wait_until_ms,
        granted_ms: row.granted_ms,
        expires_ms: row.expires_ms,
        revoke_ms: row.revoke_ms,
        ended_ms: row.ended_ms,
        reason: row.reason.clone(),
    })
}
