//! The per-node memory store: sharded, expiring, optionally size-limited, and exact about what it holds.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::{UserSessions, tables, user_of};

const SHARDS: usize = 64;

/// One stored session: its expiry and its data, encoded compactly (MessagePack).
#[derive(Debug)]
struct Entry {
    /// Unix time in milliseconds after which the session is gone.
    expires_at_ms: i64,
    /// Global creation order, so the oldest session can be found across shards.
    seq: u64,
    data: Box<[u8]>,
    /// The session's user (its `"user"` data key), shared with the user index: no copy per session.
    user: Option<Arc<str>>,
}

/// Bytes a session takes: its encoded data plus its key and entry record.
fn entry_bytes(entry: &Entry) -> usize {
    size_of::<(Id, Entry)>() + entry.data.len()
}

/// Hashes a session id by its high 64 bits. Ids are 128 bits from a CSPRNG, made by the store
/// (a client can only look one up, never choose one that is stored), so those bits are already a
/// uniform hash; the low bits pick the shard, so the two are independent.
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only reached if `Id`'s `Hash` ever stops writing one i128; still a correct hash.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_i128(&mut self, id: i128) {
        self.0 = (id >> 64) as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One shard's sessions, stored inline in one hash table: a lookup touches the table and the
/// session's data, nothing else.
#[derive(Debug, Default)]
struct Shard {
    sessions: HashMap<Id, Entry, BuildHasherDefault<IdHasher>>,
    /// Creation order, oldest first, as `(seq, id)`: kept only under a memory limit, for eviction.
    /// A session deleted since leaves its place behind; such places are skipped when they reach
    /// the front, and swept out when they outnumber the sessions.
    order: VecDeque<(u64, Id)>,
}

impl Shard {
    /// Whether `(seq, id)` in the order is still a session.
    fn is_live(&self, seq: u64, id: &Id) -> bool {
        self.sessions.get(id).is_some_and(|e| e.seq == seq)
    }

    /// The creation number of the shard's oldest session, under a memory limit.
    fn oldest(&mut self) -> Option<u64> {
        while let Some(&(seq, id)) = self.order.front() {
            if self.is_live(seq, &id) {
                return Some(seq);
            }
            self.order.pop_front();
        }
        None
    }

    /// Takes session `id` out, keeping the order no larger than twice the sessions.
    fn remove(&mut self, id: &Id) -> Option<Entry> {
        let entry = self.sessions.remove(id)?;
        self.sweep_order();
        Some(entry)
    }

    /// Drops the places of deleted sessions once they outnumber the live ones (amortized O(1)).
    fn sweep_order(&mut self) {
        if self.order.len() > 2 * self.sessions.len() + 64 {
            let mut order = std::mem::take(&mut self.order);
            order.retain(|(seq, id)| self.is_live(*seq, id));
            self.order = order;
        }
    }
}

/// What the memory store holds, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryStoreStats {
    /// Sessions held now.
    pub sessions: usize,
    /// Bytes the sessions take by the store's own count: each one's encoded data, key and entry
    /// (plus its place in the eviction order when the store has a limit). What `max_memory` limits.
    pub bytes: usize,
    /// Sessions evicted, oldest first, to keep within `max_memory`, since the store started.
    pub evicted: u64,
    /// Sessions dropped at their expiry (on load, or by the background purge), since the store started.
    pub expired: u64,
}

/// A sharded in-memory session store implementing tower-sessions' `SessionStore`.
///
/// Sessions expire at their record's expiry date (checked on load, and purged in the background
/// by [`MemoryStore::purge_expired`]). With a memory limit, creating a session beyond the limit
/// evicts the oldest sessions, whose users then get 401.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

/// Which sessions each user has, for revoking them all at once.
type UserIndex = HashMap<Arc<str>, SessionIds>;

/// One user's session ids. Nearly every user has one session, kept inline: a set per user would
/// cost about a hundred bytes more per session. A user with several gets a set, so that adding
/// and removing stay constant-time however many sessions one user piles up.
#[derive(Debug)]
enum SessionIds {
    One(Id),
    Many(HashSet<Id>),
}

impl SessionIds {
    fn insert(&mut self, id: Id) {
        match self {
            SessionIds::One(first) if *first != id => *self = SessionIds::Many(HashSet::from([*first, id])),
            SessionIds::One(_) => {}
            SessionIds::Many(ids) => {
                ids.insert(id);
            }
        }
    }

    /// Removes `id`; true when no session is left.
    fn remove(&mut self, id: &Id) -> bool {
        match self {
            SessionIds::One(only) => only == id,
            SessionIds::Many(ids) => {
                ids.remove(id);
                ids.is_empty()
            }
        }
    }

    fn into_ids(self) -> Vec<Id> {
        match self {
            SessionIds::One(id) => vec![id],
            SessionIds::Many(ids) => ids.into_iter().collect(),
        }
    }
}

#[derive(Debug)]
struct Inner {
    shards: Box<[Mutex<Shard>]>,
    /// The user index, sharded by user name. Lock order: a session shard, then a user shard, never
    /// the other way round.
    users: Box<[Mutex<UserIndex>]>,
    user_hasher: RandomState,
    max_bytes: Option<usize>,
    sessions: AtomicUsize,
    bytes: AtomicUsize,
    next_seq: AtomicU64,
    evicted: AtomicU64,
    expired: AtomicU64,
}

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

fn expiry_ms(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

fn encode(record: &Record) -> session_store::Result<Box<[u8]>> {
    rmp_serde::to_vec(&record.data).map(Vec::into_boxed_slice).map_err(|e| session_store::Error::Encode(e.to_string()))
}

/// The bytes of a memory store's hash tables (its shards' session tables and user index) when
/// it holds `sessions` sessions, each of another user: the part of a session node's heap that
/// grows in doubling steps. It is the expected value over how the sessions' random ids and their
/// users' names spread over the shards, which [`MemoryStore::table_bytes`] measures.
pub fn memory_store_table_bytes(sessions: f64) -> f64 {
    let table =
        |entry_bytes: usize| move |n| tables::hashbrown_table_bytes(tables::hashbrown_buckets(n), entry_bytes as u64);
    tables::expected_over_shards(sessions, SHARDS as u64, table(size_of::<(Id, Entry)>()))
        + tables::expected_over_shards(sessions, SHARDS as u64, table(size_of::<(Arc<str>, SessionIds)>()))
}

impl MemoryStore {
    /// A store holding at most `max_bytes` of sessions (see [`MemoryStoreStats::bytes`]), or unbounded.
    pub fn new(max_bytes: Option<usize>) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect();
        let users = (0..SHARDS).map(|_| Mutex::new(UserIndex::default())).collect();
        Self {
            inner: Arc::new(Inner {
                shards,
                users,
                user_hasher: RandomState::new(),
                max_bytes,
                sessions: AtomicUsize::new(0),
                bytes: AtomicUsize::new(0),
                next_seq: AtomicU64::new(0),
                evicted: AtomicU64::new(0),
                expired: AtomicU64::new(0),
            }),
        }
    }

    /// What it holds now, and what it has evicted and expired so far.
    pub fn stats(&self) -> MemoryStoreStats {
        let i = &self.inner;
        MemoryStoreStats {
            sessions: i.sessions.load(Relaxed),
            bytes: i.bytes.load(Relaxed),
            evicted: i.evicted.load(Relaxed),
            expired: i.expired.load(Relaxed),
        }
    }

    fn shard(&self, id: &Id) -> MutexGuard<'_, Shard> {
        // Ids are uniformly random, so their low bits spread sessions evenly.
        let index = (id.0 as u64 as usize) % SHARDS;
        // A poisoned shard only means another request panicked mid-update; the map is still valid.
        self.inner.shards[index].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn user_shard(&self, user: &str) -> MutexGuard<'_, UserIndex> {
        let index = (self.inner.user_hasher.hash_one(user) as usize) % SHARDS;
        self.inner.users[index].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds session `id` to `user`'s sessions; returns the index's own copy of the name.
    fn index(&self, user: &str, id: Id) -> Arc<str> {
        let mut users = self.user_shard(user);
        if let Some(ids) = users.get_mut(user) {
            ids.insert(id);
        }
        if let Some((name, _)) = users.get_key_value(user) {
            return name.clone();
        }
        let name: Arc<str> = Arc::from(user);
        users.insert(name.clone(), SessionIds::One(id));
        name
    }

    /// Takes session `id` out of `user`'s sessions, forgetting a user left with none.
    fn unindex(&self, user: &str, id: &Id) {
        let mut users = self.user_shard(user);
        if users.get_mut(user).is_some_and(|ids| ids.remove(id)) {
            users.remove(user);
        }
    }

    /// A session's place in the creation order, kept under a memory limit, counts towards it.
    fn order_bytes(&self) -> usize {
        if self.inner.max_bytes.is_some() { size_of::<(u64, Id)>() } else { 0 }
    }

    fn added(&self, entry: &Entry) {
        self.inner.sessions.fetch_add(1, Relaxed);
        self.inner.bytes.fetch_add(entry_bytes(entry) + self.order_bytes(), Relaxed);
    }

    /// Accounts for a session gone from its shard (the caller holds that shard's lock).
    fn removed(&self, id: &Id, entry: &Entry) {
        self.inner.sessions.fetch_sub(1, Relaxed);
        self.inner.bytes.fetch_sub(entry_bytes(entry) + self.order_bytes(), Relaxed);
        if let Some(user) = &entry.user {
            self.unindex(user, id);
        }
    }

    /// The bytes its hash tables allocate now, session tables and user index, read from their
    /// capacities (the rest of a session's bytes are in [`MemoryStoreStats::bytes`]).
    pub fn table_bytes(&self) -> u64 {
        fn bytes(capacity: usize, entry_bytes: usize) -> u64 {
            let buckets = match capacity as u64 {
                0 => 0,
                c if c < 8 => c + 1,
                c => c / 7 * 8,
            };
            tables::hashbrown_table_bytes(buckets, entry_bytes as u64)
        }
        let lock = |m: &Mutex<Shard>| {
            bytes(m.lock().unwrap_or_else(|p| p.into_inner()).sessions.capacity(), size_of::<(Id, Entry)>())
        };
        let sessions: u64 = self.inner.shards.iter().map(lock).sum();
        let users: u64 = self
            .inner
            .users
            .iter()
            .map(|m| bytes(m.lock().unwrap_or_else(|p| p.into_inner()).capacity(), size_of::<(Arc<str>, SessionIds)>()))
            .sum();
        sessions + users
    }

    /// Removes every expired session now; returns how many went.
    pub fn purge_expired(&self) -> usize {
        let now = now_ms();
        let mut purged = 0;
        for shard in self.inner.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            shard.sessions.retain(|id, entry| {
                let keep = entry.expires_at_ms > now;
                if !keep {
                    self.removed(id, entry);
                    purged += 1;
                }
                keep
            });
            shard.sweep_order();
        }
        self.inner.expired.fetch_add(purged as u64, Relaxed);
        purged
    }

    /// Purges expired sessions every `period`, for as long as the store lives.
    pub fn spawn_purge_task(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                MemoryStore { inner }.purge_expired();
            }
        })
    }

    /// Evicts the oldest sessions until the store is within its memory limit.
    fn enforce_limit(&self) {
        let Some(max) = self.inner.max_bytes else { return };
        while self.inner.bytes.load(Relaxed) > max {
            if !self.evict_oldest() {
                break;
            }
        }
    }

    /// Evicts the globally oldest session; false when the store is empty.
    fn evict_oldest(&self) -> bool {
        loop {
            let oldest = self
                .inner
                .shards
                .iter()
                .enumerate()
                .filter_map(|(i, shard)| shard.lock().unwrap_or_else(|p| p.into_inner()).oldest().map(|seq| (seq, i)))
                .min();
            let Some((seq, index)) = oldest else { return false };
            let mut shard = self.inner.shards[index].lock().unwrap_or_else(|p| p.into_inner());
            // Another request may have changed that shard meanwhile: evict only what we found.
            if shard.oldest() == Some(seq) {
                if let Some((_, id)) = shard.order.pop_front() {
                    if let Some(entry) = shard.remove(&id) {
                        self.removed(&id, &entry);
                        self.inner.evicted.fetch_add(1, Relaxed);
                    }
                }
                return true;
            }
        }
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let seq = self.inner.next_seq.fetch_add(1, Relaxed);
        let mut entry = Entry { expires_at_ms: expiry_ms(record), seq, data, user: None };
        {
            let mut shard = self.shard(&record.id);
            // Ids are 128 random bits, so a collision is all but impossible; still, never overwrite.
            while shard.sessions.contains_key(&record.id) {
                drop(shard);
                record.id = Id::default();
                shard = self.shard(&record.id);
            }
            entry.user = user_of(record).map(|user| self.index(user, record.id));
            self.added(&entry);
            if self.inner.max_bytes.is_some() {
                shard.order.push_back((seq, record.id));
            }
            shard.sessions.insert(record.id, entry);
        }
        self.enforce_limit();
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let mut shard = self.shard(&record.id);
        // Saving keeps the session's place in the eviction order; a session that is gone stays gone.
        if let Some(entry) = shard.sessions.get_mut(&record.id) {
            let before = entry_bytes(entry);
            entry.data = data;
            entry.expires_at_ms = expiry_ms(record);
            let user = user_of(record);
            if entry.user.as_deref() != user {
                if let Some(old) = entry.user.take() {
                    self.unindex(&old, &record.id);
                }
                entry.user = user.map(|user| self.index(user, record.id));
            }
            let after = entry_bytes(entry);
            self.inner.bytes.fetch_add(after, Relaxed);
            self.inner.bytes.fetch_sub(before, Relaxed);
        }
        drop(shard);
        self.enforce_limit();
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let mut shard = self.shard(id);
        let Some(entry) = shard.sessions.get(id) else { return Ok(None) };
        if entry.expires_at_ms <= now_ms() {
            if let Some(entry) = shard.remove(id) {
                self.removed(id, &entry);
                self.inner.expired.fetch_add(1, Relaxed);
            }
            return Ok(None);
        }
        let expires_at_ms = entry.expires_at_ms;
        let data = rmp_serde::from_slice(&entry.data).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        drop(shard);
        let expiry_date = OffsetDateTime::from_unix_timestamp_nanos(expires_at_ms as i128 * 1_000_000)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, data, expiry_date }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut shard = self.shard(id);
        if let Some(entry) = shard.remove(id) {
            self.removed(id, &entry);
        }
        Ok(())
    }
}

#[async_trait]
impl UserSessions for MemoryStore {
    async fn delete_user_sessions(&self, user: &str) -> session_store::Result<u64> {
        // Take the user's whole set first (user shard only), then delete each session (session
        // shard only): the lock order holds, and a login after this point starts a new set.
        let ids = self.user_shard(user).remove(user).map(SessionIds::into_ids).unwrap_or_default();
        let mut deleted = 0;
        for id in ids {
            let mut shard = self.shard(&id);
            if let Some(entry) = shard.remove(&id) {
                self.removed(&id, &entry);
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(payload_len: usize, ttl: time::Duration) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("user".into(), json!("user0000001"));
        data.insert("payload".into(), json!("x".repeat(payload_len)));
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() + ttl }
    }

    #[tokio::test]
    async fn counts_sessions_and_bytes_exactly() {
        let store = MemoryStore::new(None);
        let mut a = record(100, time::Duration::minutes(5));
        store.create(&mut a).await.unwrap();
        let stats = store.stats();
        assert_eq!(stats.sessions, 1);
        let one = stats.bytes;
        assert!(one > 100, "a session with 100 bytes of payload takes more than 100 bytes");
        let mut b = record(100, time::Duration::minutes(5));
        store.create(&mut b).await.unwrap();
        assert_eq!(store.stats().bytes, 2 * one);
        store.delete(&a.id).await.unwrap();
        assert_eq!(store.stats(), MemoryStoreStats { sessions: 1, bytes: one, evicted: 0, expired: 0 });
        let loaded = store.load(&b.id).await.unwrap().expect("b is still there");
        assert_eq!(loaded.data, b.data);
    }

    #[tokio::test]
    async fn expired_sessions_are_gone_on_load_and_on_purge() {
        let store = MemoryStore::new(None);
        let mut a = record(10, time::Duration::milliseconds(-1));
        let mut b = record(10, time::Duration::milliseconds(-1));
        store.create(&mut a).await.unwrap();
        store.create(&mut b).await.unwrap();
        assert!(store.load(&a.id).await.unwrap().is_none());
        assert_eq!(store.purge_expired(), 1);
        assert_eq!(store.stats().sessions, 0);
        assert_eq!(store.stats().expired, 2);
    }

    #[tokio::test]
    async fn the_table_model_follows_the_tables_a_store_really_allocates() {
        // Across the shards' doubling at about 14.3k and 28.7k sessions, each of another user.
        let store = MemoryStore::new(None);
        let mut held = 0;
        for target in [2_000, 10_000, 14_000, 14_600, 20_000, 28_700, 40_000] {
            while held < target {
                let mut r = record_of(&format!("user{held:07}"));
                store.create(&mut r).await.unwrap();
                held += 1;
            }
            let (real, model) = (store.table_bytes() as f64, memory_store_table_bytes(f64::from(target)));
            assert!((model - real).abs() <= 0.06 * real, "{target} sessions: tables {real} B, model {model} B");
        }
    }

    fn record_of(user: &str) -> Record {
        let mut r = record(10, time::Duration::minutes(5));
        r.data.insert("user".into(), json!(user));
        r
    }

    #[tokio::test]
    async fn revoking_a_user_deletes_all_of_their_sessions_and_only_theirs() {
        let store = MemoryStore::new(None);
        let (mut a1, mut a2, mut b) = (record_of("alice"), record_of("alice"), record_of("bob"));
        for r in [&mut a1, &mut a2, &mut b] {
            store.create(r).await.unwrap();
        }
        store.delete(&a2.id).await.unwrap();
        assert_eq!(store.delete_user_sessions("alice").await.unwrap(), 1, "a deleted session is not counted");
        assert!(store.load(&a1.id).await.unwrap().is_none());
        assert!(store.load(&b.id).await.unwrap().is_some());
        assert_eq!(store.delete_user_sessions("alice").await.unwrap(), 0);
        // A session that changes hands moves in the index.
        b.data.insert("user".into(), json!("carol"));
        store.save(&b).await.unwrap();
        assert_eq!(store.delete_user_sessions("bob").await.unwrap(), 0);
        assert_eq!(store.delete_user_sessions("carol").await.unwrap(), 1);
        assert_eq!(store.stats().sessions, 0);
        assert!(store.inner.users.iter().all(|u| u.lock().unwrap().is_empty()), "the index forgets users");
    }

    #[tokio::test]
    async fn expired_and_evicted_sessions_leave_the_user_index() {
        let store = MemoryStore::new(None);
        let mut gone = record_of("dave");
        gone.expiry_date = OffsetDateTime::now_utc() - time::Duration::seconds(1);
        store.create(&mut gone).await.unwrap();
        store.purge_expired();
        assert!(store.inner.users.iter().all(|u| u.lock().unwrap().is_empty()));
        let limited = MemoryStore::new(Some(usize::MAX));
        let mut evicted = record_of("erin");
        limited.create(&mut evicted).await.unwrap();
        assert!(limited.evict_oldest());
        assert!(limited.inner.users.iter().all(|u| u.lock().unwrap().is_empty()));
    }

    #[tokio::test]
    async fn under_a_limit_logged_out_sessions_leave_no_trace_in_the_eviction_order() {
        let store = MemoryStore::new(Some(usize::MAX));
        let mut kept = record(10, time::Duration::minutes(5));
        store.create(&mut kept).await.unwrap();
        for _ in 0..10_000 {
            let mut r = record(10, time::Duration::minutes(5));
            store.create(&mut r).await.unwrap();
            store.delete(&r.id).await.unwrap();
        }
        let places: usize = store.inner.shards.iter().map(|s| s.lock().unwrap().order.len()).sum();
        assert!(places <= SHARDS * 70, "10,000 logouts left {places} places in the order");
        assert!(store.evict_oldest(), "the one live session is still the oldest");
        assert!(store.load(&kept.id).await.unwrap().is_none());
        assert!(!store.evict_oldest(), "nothing left to evict");
    }

    #[tokio::test]
    async fn a_memory_limit_evicts_the_oldest_sessions_first() {
        let mut first = record(1000, time::Duration::minutes(5));
        let probe = MemoryStore::new(Some(usize::MAX));
        probe.create(&mut first.clone()).await.unwrap();
        let one = probe.stats().bytes;

        let store = MemoryStore::new(Some(one * 10));
        let mut ids = Vec::new();
        store.create(&mut first).await.unwrap();
        ids.push(first.id);
        for _ in 0..29 {
            let mut r = record(1000, time::Duration::minutes(5));
            store.create(&mut r).await.unwrap();
            ids.push(r.id);
        }
        let stats = store.stats();
        assert_eq!(stats.sessions, 10);
        assert_eq!(stats.evicted, 20);
        for id in &ids[..20] {
            assert!(store.load(id).await.unwrap().is_none(), "old sessions were evicted");
        }
        for id in &ids[20..] {
            assert!(store.load(id).await.unwrap().is_some(), "the newest sessions stay");
        }
    }
}
