//! Failed-login limiting per account and address, per address, and per account overall.
//!
//! An attempt is counted when it starts, before the password is checked, so that concurrent
//! guesses cannot all slip past the limit while their hashes are computed; a successful
//! attempt is refunded. Limits are keyed so that strangers cannot lock a member out: guesses
//! from one address lock that address (for that account, and after more, for every account),
//! and a correct password from an address without failures is never refused because of
//! guesses from elsewhere. The per-account ceiling caps a distributed attack: past it, every
//! address that has failed on the account once is refused for the rest of the window.
//!
//! The counts live in this process's memory only: they are lost on restart and not shared
//! between several Cooperage processes behind one load balancer (each would allow its own
//! quota). That is fine for the one-process deployment Cooperage targets.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept per map before old entries are pruned, so a flood of guesses cannot exhaust memory.
const MAX_KEYS: usize = 100_000;

/// How many failed logins are allowed, and over which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Failures allowed for one account from one address in one window.
    pub per_account_and_address: u32,
    /// Failures allowed per client address in one window, over all accounts.
    pub per_address: u32,
    /// Failures of one account from all addresses in one window; past it, only addresses
    /// that have not failed on the account yet may try.
    pub per_account: u32,
    /// How long failures count; a locked key unlocks when its window ends.
    pub window: Duration,
}

impl Default for LimitPolicy {
    /// 5 per account and address, 20 per address, 50 per account, per 15 minutes.
    fn default() -> Self {
        Self {
            per_account_and_address: 5,
            per_address: 20,
            per_account: 50,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Attempts of one key within the window that started at its first attempt.
#[derive(Debug, Clone, Copy)]
struct Entry {
    window_start: Instant,
    failures: u32,
}

impl Entry {
    fn expired(&self, now: Instant, window: Duration) -> bool {
        now.saturating_duration_since(self.window_start) >= window
    }
}

#[derive(Debug, Default)]
struct State {
    pairs: HashMap<(String, IpAddr), Entry>,
    addresses: HashMap<IpAddr, Entry>,
    accounts: HashMap<String, Entry>,
}

/// Counts login attempts and says when an account or address must wait. Share one per
/// process. `account` is whatever names the account uniquely (the member's id when it
/// exists, so that username and e-mail count as one account).
#[derive(Debug)]
pub struct LoginLimiter {
    policy: LimitPolicy,
    state: Mutex<State>,
}

impl LoginLimiter {
    /// A limiter with no failures recorded yet.
    pub fn new(policy: LimitPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(State::default()),
        }
    }

    /// Starts an attempt: `Err(retry_after)` if it must wait, else the attempt is counted as
    /// a failure until [`LoginLimiter::succeeded`] or [`LoginLimiter::abandoned`] says
    /// otherwise. Checking and counting happen under one lock, so concurrent attempts cannot
    /// exceed the limits.
    pub fn begin(&self, account: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut state = self.lock();
        let (p, window) = (self.policy, self.policy.window);
        let (account, ip) = (account_key(account), ip_key(ip));
        let pair = (account.clone(), ip);
        let live = |entry: Option<&Entry>| entry.filter(|e| !e.expired(now, window)).copied();
        let wait = |e: Entry| window.saturating_sub(now.saturating_duration_since(e.window_start));
        let pair_entry = live(state.pairs.get(&pair));
        let mut waits = Vec::new();
        if let Some(e) = pair_entry.filter(|e| e.failures >= p.per_account_and_address) {
            waits.push(wait(e));
        }
        if let Some(e) = live(state.addresses.get(&ip)).filter(|e| e.failures >= p.per_address) {
            waits.push(wait(e));
        }
        if let Some(e) = live(state.accounts.get(&account)).filter(|e| e.failures >= p.per_account)
            && let Some(mine) = pair_entry.filter(|mine| mine.failures > 0)
        {
            waits.push(wait(e).max(wait(mine)));
        }
        if let Some(longest) = waits.into_iter().max() {
            return Err(longest.max(Duration::from_secs(1)));
        }
        bump(&mut state.pairs, pair, now, window);
        bump(&mut state.addresses, ip, now, window);
        bump(&mut state.accounts, account, now, window);
        Ok(())
    }

    /// The attempt begun for `account` from `ip` had the right password: it is not counted,
    /// and the address's earlier failures on this account are forgiven (a typo before).
    pub fn succeeded(&self, account: &str, ip: IpAddr) {
        self.refund(account, ip);
        // The address keeps its overall count on purpose: otherwise an attacker with one
        // valid account could reset the address's budget by logging in between guesses.
        self.lock()
            .pairs
            .remove(&(account_key(account), ip_key(ip)));
    }

    /// The attempt could not be made (the server was busy): it is not counted.
    pub fn abandoned(&self, account: &str, ip: IpAddr) {
        self.refund(account, ip);
    }

    fn refund(&self, account: &str, ip: IpAddr) {
        let mut state = self.lock();
        let (account, ip) = (account_key(account), ip_key(ip));
        let take = |entry: Option<&mut Entry>| {
            if let Some(entry) = entry {
                entry.failures = entry.failures.saturating_sub(1);
            }
        };
        take(state.pairs.get_mut(&(account.clone(), ip)));
        take(state.addresses.get_mut(&ip));
        take(state.accounts.get_mut(&account));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The maps stay consistent even if a holder panicked (no multi-step invariants),
        // so a poisoned lock is still usable; refusing all logins would be worse.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Default for LoginLimiter {
    /// A limiter with [`LimitPolicy::default`].
    fn default() -> Self {
        Self::new(LimitPolicy::default())
    }
}

/// Accounts are matched case-insensitively: people log in by username or email as typed.
fn account_key(account: &str) -> String {
    account.trim().to_lowercase()
}

/// IPv6 clients are counted by their /64: one host usually has a whole /64 to rotate through.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Adds one failure to `key`, starting a new window if its old one has ended.
fn bump<K: Hash + Eq>(map: &mut HashMap<K, Entry>, key: K, now: Instant, window: Duration) {
    if !map.contains_key(&key) && map.len() >= MAX_KEYS {
        prune(map, now, window);
    }
    let entry = map.entry(key).or_insert(Entry {
        window_start: now,
        failures: 0,
    });
    if entry.expired(now, window) {
        *entry = Entry {
            window_start: now,
            failures: 0,
        };
    }
    entry.failures = entry.failures.saturating_add(1);
}

/// Drops expired entries; if that is not enough, the oldest windows, down to 90% of the cap
/// so pruning (a full scan) happens rarely rather than on every insert.
fn prune<K: Hash + Eq>(map: &mut HashMap<K, Entry>, now: Instant, window: Duration) {
    map.retain(|_, e| !e.expired(now, window));
    let target = MAX_KEYS / 10 * 9;
    if map.len() <= target {
        return;
    }
    let mut starts: Vec<Instant> = map.values().map(|e| e.window_start).collect();
    let drop = map.len() - target;
    let (_, cutoff, _) = starts.select_nth_unstable(drop - 1);
    let cutoff = *cutoff;
    map.retain(|_, e| e.window_start > cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn ip(n: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n))
    }

    const MIN: Duration = Duration::from_secs(60);

    fn policy(pair: u32, address: u32, account: u32) -> LimitPolicy {
        LimitPolicy {
            per_account_and_address: pair,
            per_address: address,
            per_account: account,
            window: MIN * 15,
        }
    }

    #[test]
    fn is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<LoginLimiter>();
    }

    #[test]
    fn five_failures_lock_the_account_for_that_address_only() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.begin("alice", ip(1), t0 + MIN * i), Ok(()));
        }
        // Window started at t0; at t0+5min, 10 minutes remain. Case-insensitive.
        assert_eq!(limiter.begin("ALICE", ip(1), t0 + MIN * 5), Err(MIN * 10));
        // Alice from her own address is not locked out by the stranger's guesses.
        assert_eq!(limiter.begin("alice", ip(9), t0 + MIN * 5), Ok(()));
        limiter.succeeded("alice", ip(9));
        // Unlocks when the window ends, and counting starts afresh.
        assert_eq!(limiter.begin("alice", ip(1), t0 + MIN * 14), Err(MIN));
        assert_eq!(limiter.begin("alice", ip(1), t0 + MIN * 15), Ok(()));
        assert_eq!(limiter.begin("alice", ip(1), t0 + MIN * 15), Ok(()));
    }

    #[test]
    fn attempts_count_when_they_begin() {
        let limiter = LoginLimiter::new(policy(3, 100, 100));
        let t0 = Instant::now();
        // Three attempts in flight at once: the fourth waits, whatever their outcome.
        for _ in 0..3 {
            assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
        }
        assert!(limiter.begin("alice", ip(1), t0).is_err());
        // An attempt that succeeds or was abandoned gives its place back.
        limiter.abandoned("alice", ip(1));
        assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
        limiter.succeeded("alice", ip(1));
        assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
    }

    #[test]
    fn twenty_failures_from_one_address_lock_the_address() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            assert_eq!(limiter.begin(&format!("user{i}"), ip(1), t0), Ok(()));
        }
        assert_eq!(limiter.begin("someone-new", ip(1), t0), Err(MIN * 15));
        assert_eq!(limiter.begin("someone-new", ip(2), t0), Ok(()));
        assert_eq!(limiter.begin("user0", ip(2), t0), Ok(()));
        assert_eq!(limiter.begin("someone-new", ip(1), t0 + MIN * 15), Ok(()));
    }

    #[test]
    fn past_the_account_ceiling_only_clean_addresses_may_try() {
        let limiter = LoginLimiter::new(policy(5, 100, 4));
        let t0 = Instant::now();
        for n in 1..=4 {
            assert_eq!(limiter.begin("alice", ip(n), t0), Ok(()));
        }
        // Each of those addresses failed once: no second try while the ceiling holds.
        assert!(limiter.begin("alice", ip(1), t0).is_err());
        // An address without failures still gets its try (Alice's own, say).
        assert_eq!(limiter.begin("alice", ip(50), t0), Ok(()));
        limiter.succeeded("alice", ip(50));
        assert_eq!(limiter.begin("alice", ip(51), t0), Ok(()));
        assert!(limiter.begin("alice", ip(51), t0).is_err());
        // Other accounts are not affected.
        assert_eq!(limiter.begin("bob", ip(1), t0), Ok(()));
    }

    #[test]
    fn success_clears_the_pair_but_not_the_address() {
        let limiter = LoginLimiter::new(policy(3, 5, 100));
        let t0 = Instant::now();
        assert_eq!(limiter.begin("Alice", ip(1), t0), Ok(()));
        assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
        // The third try is right: not counted, and the two typos before are forgiven.
        assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
        limiter.succeeded("ALICE", ip(1));
        for _ in 0..3 {
            assert_eq!(limiter.begin("alice", ip(1), t0), Ok(()));
        }
        assert!(limiter.begin("alice", ip(1), t0).is_err());
        // The address keeps its 2 + 3 failures.
        assert!(limiter.begin("carol", ip(1), t0).is_err());
    }

    #[test]
    fn ipv6_counts_by_slash_64_and_mapped_v4_as_v4() {
        let limiter = LoginLimiter::new(policy(100, 2, 100));
        let t0 = Instant::now();
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(limiter.begin("a", v6("2001:db8:1:2::1"), t0).is_ok());
        assert!(limiter.begin("b", v6("2001:db8:1:2::ffff"), t0).is_ok());
        assert!(limiter.begin("c", v6("2001:db8:1:2:abcd::9"), t0).is_err());
        assert!(limiter.begin("c", v6("2001:db8:1:3::1"), t0).is_ok());
        assert!(limiter.begin("a", ip(7), t0).is_ok());
        assert!(limiter.begin("b", v6("::ffff:192.0.2.7"), t0).is_ok());
        assert!(limiter.begin("c", ip(7), t0).is_err());
    }

    #[test]
    fn memory_is_bounded() {
        let window = MIN;
        let mut map = HashMap::new();
        let t0 = Instant::now();
        for i in 0..MAX_KEYS {
            bump(&mut map, i, t0 + Duration::from_millis(i as u64), window);
        }
        assert_eq!(map.len(), MAX_KEYS);
        // All still in their window: the oldest are dropped, the newest kept.
        bump(&mut map, MAX_KEYS, t0 + Duration::from_secs(1), window);
        assert!(map.len() <= MAX_KEYS / 10 * 9 + 1, "{}", map.len());
        assert!(map.contains_key(&(MAX_KEYS - 1)));
        assert!(map.contains_key(&MAX_KEYS));
        assert!(!map.contains_key(&0));
        // Once the window has passed, expired entries go first, however recent the rest.
        let later = t0 + MIN * 10;
        let kept = map.len();
        for i in 0..(MAX_KEYS - kept) {
            bump(&mut map, MAX_KEYS + 1 + i, later, window);
        }
        assert_eq!(map.len(), MAX_KEYS);
        bump(&mut map, usize::MAX, later, window);
        assert_eq!(map.len(), MAX_KEYS - kept + 1);
        assert!(map.contains_key(&usize::MAX));
        assert!(map.len() <= MAX_KEYS);
    }
}
