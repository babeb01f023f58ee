//! Failed-login limiting per account and per client address.
//!
//! The counts live in this process's memory only: they are lost on restart and not shared
//! between several Cooperage processes behind one load balancer (each would allow its own
//! quota). That is fine for the one-process deployment Cooperage targets.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept before old entries are pruned, so a flood of guesses cannot exhaust memory.
const MAX_KEYS: usize = 100_000;

/// How many failed logins are allowed, and over which window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPolicy {
    /// Failures allowed per account (username or email) in one window.
    pub per_account: u32,
    /// Failures allowed per client address in one window, over all accounts.
    pub per_ip: u32,
    /// How long failures count; a locked key unlocks when its window ends.
    pub window: Duration,
}

impl Default for LimitPolicy {
    /// 5 per account and 20 per address per 15 minutes.
    fn default() -> Self {
        Self {
            per_account: 5,
            per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// Failures of one key within the window that started at its first failure.
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
    accounts: HashMap<String, Entry>,
    ips: HashMap<IpAddr, Entry>,
}

/// Counts failed logins and says when an account or address must wait. Share one per process.
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

    /// `Ok` if a login may be tried now; `Err(retry_after)` if the account or address is locked.
    pub fn check(&self, account: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let state = self.lock();
        let window = self.policy.window;
        let wait = |entry: Option<&Entry>, limit: u32| -> Option<Duration> {
            let e = entry?;
            if e.expired(now, window) || e.failures < limit {
                return None;
            }
            Some(window.saturating_sub(now.saturating_duration_since(e.window_start)))
        };
        let by_account = wait(
            state.accounts.get(&account_key(account)),
            self.policy.per_account,
        );
        let by_ip = wait(state.ips.get(&ip_key(ip)), self.policy.per_ip);
        match (by_account, by_ip) {
            (None, None) => Ok(()),
            (a, b) => Err(a.unwrap_or_default().max(b.unwrap_or_default())),
        }
    }

    /// Counts a failed login against both the account and the address.
    pub fn record_failure(&self, account: &str, ip: IpAddr, now: Instant) {
        let mut state = self.lock();
        let window = self.policy.window;
        bump(&mut state.accounts, account_key(account), now, window);
        bump(&mut state.ips, ip_key(ip), now, window);
    }

    /// Clears the account's failures after a successful login.
    pub fn record_success(&self, account: &str, ip: IpAddr) {
        // The address keeps its count on purpose: otherwise an attacker with one valid
        // account could reset the address's budget by logging in between guesses at others.
        let _ = ip;
        self.lock().accounts.remove(&account_key(account));
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

    #[test]
    fn is_send_and_sync() {
        fn assert<T: Send + Sync>() {}
        assert::<LoginLimiter>();
    }

    #[test]
    fn five_failures_lock_the_account_for_the_rest_of_the_window() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..5 {
            assert_eq!(limiter.check("alice", ip(1), t0 + MIN * i), Ok(()));
            limiter.record_failure("alice", ip(1), t0 + MIN * i);
        }
        // Window started at t0; at t0+5min, 10 minutes remain.
        assert_eq!(limiter.check("alice", ip(1), t0 + MIN * 5), Err(MIN * 10));
        // Case-insensitive, and from any address.
        assert_eq!(limiter.check("ALICE", ip(9), t0 + MIN * 5), Err(MIN * 10));
        // Another account from another address is unaffected.
        assert_eq!(limiter.check("bob", ip(2), t0 + MIN * 5), Ok(()));
        // Unlocks when the window ends.
        assert_eq!(limiter.check("alice", ip(1), t0 + MIN * 14), Err(MIN));
        assert_eq!(limiter.check("alice", ip(1), t0 + MIN * 15), Ok(()));
        // And counting starts afresh.
        limiter.record_failure("alice", ip(1), t0 + MIN * 15);
        assert_eq!(limiter.check("alice", ip(1), t0 + MIN * 15), Ok(()));
    }

    #[test]
    fn twenty_failures_from_one_address_lock_the_address() {
        let limiter = LoginLimiter::default();
        let t0 = Instant::now();
        for i in 0..20 {
            limiter.record_failure(&format!("user{i}"), ip(1), t0);
        }
        assert_eq!(limiter.check("someone-new", ip(1), t0), Err(MIN * 15));
        assert_eq!(limiter.check("someone-new", ip(2), t0), Ok(()));
        // Each account had one failure only.
        assert_eq!(limiter.check("user0", ip(2), t0), Ok(()));
        assert_eq!(limiter.check("someone-new", ip(1), t0 + MIN * 15), Ok(()));
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let policy = LimitPolicy {
            per_account: 2,
            per_ip: 3,
            window: MIN,
        };
        let limiter = LoginLimiter::new(policy);
        let t0 = Instant::now();
        limiter.record_failure("Alice", ip(1), t0);
        limiter.record_failure("alice", ip(1), t0);
        assert!(limiter.check("alice", ip(2), t0).is_err());
        limiter.record_success("ALICE", ip(1));
        assert_eq!(limiter.check("alice", ip(2), t0), Ok(()));
        limiter.record_failure("bob", ip(1), t0);
        assert!(limiter.check("carol", ip(1), t0).is_err());
    }

    #[test]
    fn ipv6_counts_by_slash_64_and_mapped_v4_as_v4() {
        let limiter = LoginLimiter::new(LimitPolicy {
            per_account: 100,
            per_ip: 2,
            window: MIN,
        });
        let t0 = Instant::now();
        limiter.record_failure("a", "2001:db8:1:2::1".parse().unwrap(), t0);
        limiter.record_failure("b", "2001:db8:1:2::ffff".parse().unwrap(), t0);
        assert!(
            limiter
                .check("c", "2001:db8:1:2:abcd::9".parse().unwrap(), t0)
                .is_err()
        );
        assert!(
            limiter
                .check("c", "2001:db8:1:3::1".parse().unwrap(), t0)
                .is_ok()
        );
        limiter.record_failure("a", ip(7), t0);
        limiter.record_failure("b", "::ffff:192.0.2.7".parse().unwrap(), t0);
        assert!(limiter.check("c", ip(7), t0).is_err());
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
