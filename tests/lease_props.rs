//! Model-based property test of the lease manager: random sequences of requests (some whose
//! commit fails, so the service takes them back), releases,
//! renewals, time passing (the manager is given the times), capacity and memory readings, and
//! restarts (save, then restore). A shadow model rebuilt only from the changes the manager
//! reports checks at every step that grants never exceed the capacity, the memory available
//! now minus the reserve, or `max_concurrent`; that every request ends in exactly one terminal
//! state and none is granted twice; that within a priority grants follow arrival; that a
//! restart changes nothing; that memory granted stays held back from readings that do not
//! show it; that with preemption on no `high`/`critical` request waits behind a `low`/`normal`
//! one; and that once capacity frees, every queued request is granted.

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use resource_manager::event::LeaseChangeKind;
use resource_manager::lease::{
    Amounts, Capacity, Lease, LeaseDecision, LeasePolicy, LeaseState, LeaseUpdate, Manager,
    Priority, Request, Saved, rows,
};

const MAX_TTL_MS: i64 = 300_000;
const MAX_WAIT_MS: i64 = 600_000;
const GRACE_MS: i64 = 30_000;

fn capacity(cpu_milli: u64, heavy: u32, max_concurrent: usize) -> Capacity {
    Capacity {
        cpu_milli,
        memory_total_mb: 8000,
        memory_reserve_mb: 800,
        slots: BTreeMap::from([("heavy".to_string(), heavy), ("gpu".to_string(), 1)]),
        max_concurrent,
        queue_limit: 12,
    }
}

fn full() -> Capacity {
    capacity(4000, 2, 4)
}

fn policy(preemption: bool) -> LeasePolicy {
    LeasePolicy {
        default_ttl_ms: 60_000,
        max_ttl_ms: MAX_TTL_MS,
        max_wait_ms: MAX_WAIT_MS,
        preemption_grace_ms: preemption.then_some(GRACE_MS),
        ageing_step_ms: 60_000,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Ask {
        cpu: u64,
        mem: u64,
        heavy: u32,
        gpu: u32,
        priority: u8,
        ttl_s: i64,
        wait_s: i64,
        /// The decision's commit fails: the service takes the request back.
        unsaved: bool,
    },
    Release(usize),
    Renew(usize, i64),
    Wait(i64),
    Memory(u64),
    Capacity(u64, u32, usize),
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..5u64, 0..5u64, 0..3u32, 0..2u32, 0..4u8, 1..300i64, 0..600i64, 0..8u8).prop_map(
            |(cpu, mem, heavy, gpu, priority, ttl_s, wait_s, fail)| Op::Ask {
                cpu: cpu * 700,
                mem: mem * 1500,
                heavy,
                gpu,
                priority,
                ttl_s,
                wait_s: if wait_s < 60 { 0 } else { wait_s },
                unsaved: fail == 0,
            }
        ),
        2 => (0..40usize).prop_map(Op::Release),
        1 => (0..40usize, 1..300i64).prop_map(|(i, s)| Op::Renew(i, s)),
        3 => (0..120_000i64).prop_map(Op::Wait),
        1 => (0..9000u64).prop_map(Op::Memory),
        1 => (1..=4u64, 0..=2u32, 1..=4usize).prop_map(|(c, h, n)| Op::Capacity(c * 1000, h, n)),
        1 => Just(Op::Restart),
    ]
}

/// What the test knows about one request, from the manager's reports only.
#[derive(Debug, Clone)]
struct Known {
    amounts: Amounts,
    priority: Priority,
    seq: u64,
    state: LeaseState,
    terminal_events: u32,
}

/// The shadow model.
struct Shadow {
    capacity: Capacity,
    reading: Option<u64>,
    /// Memory of every granted lease: a reading never shows it (the holders here are not
    /// measured), so it stays held back until the lease ends.
    reserved: BTreeMap<String, u64>,
    known: HashMap<String, Known>,
    order: Vec<String>,
}

impl Shadow {
    fn used(&self) -> (Amounts, usize) {
        let mut used = Amounts::default();
        let mut n = 0;
        for k in self
            .known
            .values()
            .filter(|k| k.state == LeaseState::Granted)
        {
            used.add(&k.amounts);
            n += 1;
        }
        (used, n)
    }

    fn apply(&mut self, change: &LeaseUpdate) -> Result<(), TestCaseError> {
        let lease = &change.lease;
        let id = lease.id.clone();
        if !self.known.contains_key(&id) {
            prop_assert!(
                matches!(
                    change.kind,
                    LeaseChangeKind::Queued | LeaseChangeKind::Granted | LeaseChangeKind::Refused
                ),
                "first change of {id} is {:?}",
                change.kind
            );
            self.known.insert(
                id.clone(),
                Known {
                    amounts: lease.amounts.clone(),
                    priority: lease.priority,
                    seq: lease.seq,
                    state: LeaseState::Queued,
                    terminal_events: 0,
                },
            );
            self.order.push(id.clone());
        }
        let before = self.known[&id].state;
        prop_assert!(
            !before.is_terminal(),
            "{id} changed after it ended: {:?}",
            change.kind
        );
        let allowed = match change.kind {
            LeaseChangeKind::Queued => before == LeaseState::Queued,
            LeaseChangeKind::Granted => before == LeaseState::Queued,
            LeaseChangeKind::Refused | LeaseChangeKind::TimedOut => before == LeaseState::Queued,
            LeaseChangeKind::Released => true,
            LeaseChangeKind::Renewed
            | LeaseChangeKind::Expired
            | LeaseChangeKind::PreemptNotice
            | LeaseChangeKind::PreemptCancelled
            | LeaseChangeKind::Preempted
            | LeaseChangeKind::Overrun => before == LeaseState::Granted,
        };
        prop_assert!(allowed, "{id}: {:?} after {:?}", change.kind, before);
        if change.kind == LeaseChangeKind::Granted {
            self.check_grant(&id)?;
            if lease.amounts.memory_mb > 0 {
                self.reserved.insert(id.clone(), lease.amounts.memory_mb);
            }
        }
        if lease.state.is_terminal() {
            self.reserved.remove(&id);
        }
        let known = self.known.get_mut(&id).expect("known");
        known.state = lease.state;
        if lease.state.is_terminal() {
            known.terminal_events += 1;
        }
        Ok(())
    }

    /// A grant of `id` about to happen fits everything, and no earlier request of the same
    /// priority is still waiting.
    fn check_grant(&self, id: &str) -> Result<(), TestCaseError> {
        let k = &self.known[id];
        let (mut used, n) = self.used();
        used.add(&k.amounts);
        let c = &self.capacity;
        prop_assert!(n < c.max_concurrent, "max_concurrent exceeded by {id}");
        // Only what the grant adds to is checked: a capacity that shrank below what was held
        // revokes nothing, it only stops further grants of that resource.
        let asked = &k.amounts;
        prop_assert!(
            asked.cpu_milli == 0 || used.cpu_milli <= c.cpu_milli,
            "cpu over capacity by {id}"
        );
        prop_assert!(
            asked.memory_mb == 0 || used.memory_mb <= c.memory_grantable_mb(),
            "memory over capacity by {id}"
        );
        for pool in asked.slots.keys() {
            let n = used.slot(pool);
            prop_assert!(
                n <= c.slots.get(pool).copied().unwrap_or(0),
                "pool {pool} over by {id}"
            );
        }
        if let (Some(available), true) = (self.reading, k.amounts.memory_mb > 0) {
            let room = available
                .saturating_sub(c.memory_reserve_mb)
                .saturating_sub(self.reserved.values().sum());
            prop_assert!(
                k.amounts.memory_mb <= room,
                "{id} granted beyond memory available now"
            );
        }
        for other in self.known.values() {
            prop_assert!(
                !(other.state == LeaseState::Queued
                    && other.priority == k.priority
                    && other.seq < k.seq),
                "{id} granted before an earlier request of the same priority"
            );
        }
        Ok(())
    }

    fn apply_all(&mut self, changes: &[LeaseUpdate]) -> Result<(), TestCaseError> {
        changes.iter().try_for_each(|c| self.apply(c))
    }
}

fn run(ops: Vec<Op>, preemption: bool) -> Result<(), TestCaseError> {
    let mut manager = Manager::new(full(), policy(preemption));
    let mut shadow = Shadow {
        capacity: full(),
        reading: None,
        reserved: BTreeMap::new(),
        known: HashMap::new(),
        order: Vec::new(),
    };
    let mut now = 1_000_000i64;
    for op in ops {
        let changes = match op {
            Op::Ask {
                cpu,
                mem,
                heavy,
                gpu,
                priority,
                ttl_s,
                wait_s,
                unsaved,
            } => {
                let mut slots = BTreeMap::new();
                if heavy > 0 {
                    slots.insert("heavy".to_string(), heavy);
                }
                if gpu > 0 {
                    slots.insert("gpu".to_string(), gpu);
                }
                let request = Request {
                    holder: "h".into(),
                    request_id: None,
                    amounts: Amounts {
                        cpu_milli: cpu,
                        memory_mb: mem,
                        slots,
                    },
                    priority: [
                        Priority::Low,
                        Priority::Normal,
                        Priority::High,
                        Priority::Critical,
                    ][priority as usize],
                    ttl_ms: ttl_s * 1000,
                    wait_ms: wait_s * 1000,
                };
                let (decision, mut changes) = manager.request(request, now);
                if unsaved {
                    // Not saved: not granted, not announced. The other changes of the group
                    // (what fell due at this moment) are saved and announced later, and so is
                    // whatever the withdrawal frees.
                    let id = decision.lease().id.clone();
                    changes.retain(|c| c.lease.id != id);
                    changes.extend(manager.withdraw(&id, now));
                    prop_assert!(manager.get(&id).is_none(), "{id} taken back");
                    prop_assert!(changes.iter().all(|c| c.lease.id != id));
                    shadow.apply_all(&changes)?;
                    continue;
                }
                let id = &decision.lease().id;
                prop_assert!(
                    changes.iter().any(|c| &c.lease.id == id),
                    "decision without a change"
                );
                prop_assert_eq!(
                    manager.get(id).map(|l| l.state),
                    Some(decision.lease().state)
                );
                if let LeaseDecision::Queued { position, .. } = &decision {
                    prop_assert!(*position >= 1);
                }
                changes
            }
            Op::Release(i) => match shadow.order.get(i) {
                Some(id) => manager.release(id, now).0,
                None => Vec::new(),
            },
            Op::Renew(i, s) => match shadow.order.get(i) {
                Some(id) => manager.renew(id, s * 1000, now).0,
                None => Vec::new(),
            },
            Op::Wait(ms) => {
                now += ms;
                manager.settle(now)
            }
            Op::Memory(mb) => {
                // A reading that does not reflect the grants: nothing is forgotten.
                shadow.reading = Some(mb);
                manager.set_available_memory(mb, now)
            }
            Op::Capacity(cpu, heavy, n) => {
                let c = capacity(cpu, heavy, n);
                shadow.capacity = c.clone();
                manager.set_capacity(c, now)
            }
            Op::Restart => {
                let saved = manager.save();
                // Through the stored rows, as a restart reads them back from SQLite.
                let stored: Vec<_> = saved.leases.iter().map(rows::to_row).collect();
                let read: Vec<Lease> = stored.iter().filter_map(rows::from_row).collect();
                prop_assert_eq!(read.len(), saved.leases.len(), "every row reads back");
                let stored = Saved {
                    next_seq: saved.next_seq,
                    leases: read,
                };
                manager = Manager::restore(shadow.capacity.clone(), policy(preemption), stored);
                prop_assert_eq!(manager.save(), saved, "state after a restart");
                // The memory reading is not kept: the next one comes with the next tick.
                shadow.reading = None;
                Vec::new()
            }
        };
        shadow.apply_all(&changes)?;
        for lease in manager.granted() {
            prop_assert_eq!(shadow.known[&lease.id].state, LeaseState::Granted);
        }
        // No priority inversion: with preemption on, a request that may preempt never waits
        // behind one that may not, however long that one has aged.
        if preemption {
            let queue = manager.queue(now);
            if let Some(first) = queue.iter().position(|l| l.priority <= Priority::Normal) {
                prop_assert!(
                    queue[first..]
                        .iter()
                        .all(|l| l.priority <= Priority::Normal),
                    "a high or critical request waits behind an aged low or normal one"
                );
            }
        }
    }

    // Capacity frees: everything granted is released and memory is plentiful; every queued
    // request must then be granted, head after head, at this very moment.
    shadow.capacity = full();
    let changes = manager.set_capacity(full(), now);
    shadow.apply_all(&changes)?;
    shadow.reading = Some(1_000_000);
    let changes = manager.set_available_memory(1_000_000, now);
    shadow.apply_all(&changes)?;
    loop {
        let granted: Vec<String> = manager.granted().iter().map(|l| l.id.clone()).collect();
        for id in &granted {
            let (changes, released) = manager.release(id, now);
            prop_assert!(released.is_ok());
            shadow.apply_all(&changes)?;
        }
        let queued = manager.queue(now).len();
        if queued == 0 {
            break;
        }
        prop_assert!(
            !manager.granted().is_empty(),
            "{queued} queued, none granted with all capacity free"
        );
    }

    // Far in the future every request has ended, each exactly once.
    let changes = manager.settle(now + MAX_TTL_MS + MAX_WAIT_MS + GRACE_MS + 1);
    shadow.apply_all(&changes)?;
    for (id, k) in &shadow.known {
        prop_assert!(k.state.is_terminal(), "{id} never ended ({:?})", k.state);
        prop_assert_eq!(
            k.terminal_events,
            1,
            "{} ended {} times",
            id,
            k.terminal_events
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn leases_never_over_allocate_and_every_request_ends_once(
        ops in prop::collection::vec(op(), 1..80),
        preemption in any::<bool>(),
    ) {
        run(ops, preemption)?;
    }
}

#[test]
fn a_low_request_is_not_starved_by_a_stream_of_high_ones() {
    let mut manager = Manager::new(full(), policy(false));
    let ask = |priority, now: i64, m: &mut Manager| {
        let request = Request {
            holder: "h".into(),
            request_id: None,
            amounts: Amounts {
                cpu_milli: 4000,
                ..Amounts::default()
            },
            priority,
            ttl_ms: 20_000,
            wait_ms: MAX_WAIT_MS,
        };
        m.request(request, now).0.lease().id.clone()
    };
    let mut now = 0;
    ask(Priority::High, now, &mut manager);
    let low = ask(Priority::Low, now, &mut manager);
    // A new high request every 10 s; each lease holds all CPU for 20 s.
    for _ in 0..60 {
        now += 10_000;
        ask(Priority::High, now, &mut manager);
        manager.settle(now);
        if manager
            .get(&low)
            .is_some_and(|l| l.state == LeaseState::Granted)
        {
            assert!(now <= 5 * 60_000, "granted only after {now} ms");
            return;
        }
    }
    panic!("the low request was starved");
}
