//! Member passwords: argon2id hashing, verification and a strength check.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::Semaphore;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Memory cost in KiB: OWASP's minimum for argon2id (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
/// Iterations: OWASP's minimum for argon2id at 19 MiB.
pub const T_COST: u32 = 2;
/// Lanes: OWASP's minimum; more would only help an attacker with more cores than us.
pub const P_COST: u32 = 1;

/// Shortest accepted password, in characters (not bytes, so non-ASCII is not penalised).
pub const MIN_CHARS: usize = 12;
/// Longest accepted password, in bytes: caps the work one login request can ask for.
pub const MAX_BYTES: usize = 1024;

/// Why a password was refused or could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Empty or only whitespace.
    #[error("password: must not be empty or only spaces")]
    Blank,
    /// Fewer than [`MIN_CHARS`] characters.
    #[error("password: must be at least {MIN_CHARS} characters")]
    TooShort,
    /// More than [`MAX_BYTES`] bytes.
    #[error("password: must be at most {MAX_BYTES} bytes")]
    TooLong,
    /// Contains the username.
    #[error("password: must not contain your username")]
    ContainsUsername,
    /// One character repeated.
    #[error("password: must not be a single character repeated")]
    RepeatedCharacter,
    /// In the built-in list of most common passwords.
    #[error("password: is one of the most common passwords, choose another")]
    Common,
    /// The hasher failed (bad parameters, no randomness).
    #[error("password: could not be hashed: {0}")]
    Hashing(String),
}

/// Passwords seen most often in breach corpora that pass the length rule (shorter ones are
/// refused by length already). Lower case; compared case-insensitively.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789012345",
    "1234567890123456",
    "12345678901234567890",
    "012345678910",
    "123123123123",
    "123412341234",
    "121212121212",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyqwerty",
    "qwertyuiopasdfghjkl",
    "qwertyuiopasdfghjklzxcvbnm",
    "asdfghjkl123",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u8i",
    "1qaz2wsx3edc",
    "1qazxsw23edc",
    "zaq12wsxcde3",
    "zaq1zaq1zaq1",
    "qazwsxedcrfv",
    "123qweasdzxc",
    "abc123abc123",
    "abcdefghijkl",
    "abcdefghijklmnopqrstuvwxyz",
    "password1234",
    "password123456",
    "passwordpassword",
    "password1password1",
    "iloveyou1234",
    "iloveyouiloveyou",
    "administrator",
    "administrator1",
    "changeme1234",
    "welcome12345",
    "letmein12345",
    "princess1234",
    "football1234",
    "baseball1234",
    "superman1234",
    "sunshine1234",
    "monkey123456",
    "trustno1trustno1",
];

/// Argon2id with the production parameters; tests use the minimum so they stay fast.
fn hasher() -> Argon2<'static> {
    #[cfg(not(test))]
    let params = Params::new(M_COST_KIB, T_COST, P_COST, None);
    #[cfg(test)]
    let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None);
    let params = params.expect("argon2 parameters are valid constants");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password with argon2id and a random salt; returns the PHC string to store.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    // The salt comes from aws-lc-rs, the randomness source the rest of Cooperage uses,
    // rather than pulling in `getrandom` just for this.
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| PasswordError::Hashing("no randomness for the salt".to_owned()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// True when `password` matches the PHC string `phc`; false for a mismatch or a bad hash.
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    // Parameters come from the PHC string, so hashes made with older parameters still verify.
    // argon2 compares the outputs in constant time.
    hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// A real hash with the current parameters, made once, for `dummy_verify` to check against.
/// Made at run time rather than pasted in so it can never drift from what `hash` produces.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash("cooperage dummy password for timing").expect("hashing a constant password works")
});

/// Spends the time of a real `verify`, for logins of unknown accounts (no timing oracle).
pub fn dummy_verify(password: &str) {
    // The result is meaningless; only the time spent matters.
    let _ = verify(password, &DUMMY_HASH);
}

/// Checks the rules a new password must meet; the error says what to fix.
pub fn check_strength(password: &str, username: &str) -> Result<(), PasswordError> {
    if password.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    // Bytes first: counting the characters of a huge input is work we need not do.
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    let lower = password.to_lowercase();
    let username = username.trim().to_lowercase();
    // Very short usernames would match by chance in many good passwords.
    if username.chars().count() >= 3 && lower.contains(&username) {
        return Err(PasswordError::ContainsUsername);
    }
    let mut chars = password.chars();
    if let Some(first) = chars.next()
        && chars.all(|c| c == first)
    {
        return Err(PasswordError::RepeatedCharacter);
    }
    if COMMON.contains(&lower.as_str()) {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// Bounds argon2 work: each hash or verification takes [`M_COST_KIB`] of memory and a core
/// for tens of milliseconds, so unbounded concurrent logins would exhaust memory. At most one
/// job per CPU runs; the rest wait in line for a short while, then are turned away as busy.
#[derive(Debug, Clone)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
    queue_wait: Duration,
}

/// Why password work was not done.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// Every slot stayed taken for the whole wait: the caller should try again shortly.
    #[error("the server is busy checking passwords")]
    Busy,
    /// The job itself failed (it panicked).
    #[error("password work failed: {0}")]
    Failed(String),
}

impl From<WorkError> for crate::Error {
    fn from(error: WorkError) -> Self {
        match error {
            WorkError::Busy => crate::Error::Busy {
                message: "the server is busy checking passwords: try again in a moment".into(),
                retry_after_secs: 1,
            },
            failed @ WorkError::Failed(_) => crate::Error::internal("password work failed", failed),
        }
    }
}

impl PasswordWork {
    /// `parallel` jobs at once; others wait up to `queue_wait` for a slot.
    pub fn new(parallel: usize, queue_wait: Duration) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(parallel.max(1))),
            queue_wait,
        }
    }

    /// One job per CPU, and a wait of two seconds (tens of hashes per CPU) before "busy".
    pub fn for_this_machine() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(cpus, Duration::from_secs(2))
    }

    /// Runs `job` (hashing or verifying) on the blocking pool once a slot is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, WorkError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = tokio::time::timeout(self.queue_wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| WorkError::Busy)?
            .map_err(|_| WorkError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            job()
        })
        .await
        .map_err(|e| WorkError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_parameters_are_owasp_minimum() {
        assert_eq!((M_COST_KIB, T_COST, P_COST), (19_456, 2, 1));
        assert!(Params::new(M_COST_KIB, T_COST, P_COST, None).is_ok());
    }

    #[test]
    fn hash_then_verify() {
        let phc = hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(verify("correct horse battery staple", &phc));
        assert!(!verify("correct horse battery stapler", &phc));
        assert!(!verify("", &phc));
    }

    #[test]
    fn salts_are_random() {
        assert_ne!(
            hash("same password!").unwrap(),
            hash("same password!").unwrap()
        );
    }

    #[test]
    fn unparsable_hash_is_false() {
        assert!(!verify("anything", ""));
        assert!(!verify("anything", "not a phc string"));
        assert!(!verify("anything", "$argon2id$v=19$m=8,t=1,p=1$bad"));
    }

    #[test]
    fn verifies_hashes_made_with_other_parameters() {
        // A hash stored before a parameter change must keep working.
        let params = Params::new(16, 1, 1, None).unwrap();
        let salt = SaltString::encode_b64(b"sixteen byte slt").unwrap();
        let phc = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"an old password", &salt)
            .unwrap()
            .to_string();
        assert!(verify("an old password", &phc));
        assert!(!verify("a new password", &phc));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_is_bounded_and_turns_away_when_busy() {
        let work = PasswordWork::new(1, Duration::from_millis(50));
        let (started, release) = std::sync::mpsc::channel::<()>();
        let (gate_tx, gate) = std::sync::mpsc::channel::<()>();
        let busy = work.clone();
        let first = tokio::spawn(async move {
            busy.run(move || {
                started.send(()).unwrap();
                gate.recv().unwrap();
            })
            .await
        });
        release.recv().unwrap();
        assert!(matches!(work.run(|| ()).await, Err(WorkError::Busy)));
        gate_tx.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert_eq!(work.run(|| 7).await.unwrap(), 7);
    }

    #[test]
    fn dummy_verify_runs() {
        dummy_verify("whatever");
        assert!(verify("cooperage dummy password for timing", &DUMMY_HASH));
    }

    #[test]
    fn strength_rules() {
        use PasswordError::*;
        let ok = |p: &str| check_strength(p, "alice");
        assert!(ok("tangerine bicycle harbor").is_ok());
        assert!(matches!(ok(""), Err(Blank)));
        assert!(matches!(ok("              "), Err(Blank)));
        assert!(matches!(ok("short pass1"), Err(TooShort)));
        // 12 characters but 24 bytes: counts characters.
        assert!(ok("ééééééééééé1").is_ok());
        assert!(matches!(ok(&"ab".repeat(513)), Err(TooLong)));
        assert!(ok(&"ab".repeat(512)).is_ok());
        assert!(matches!(ok("my name is ALICE ok"), Err(ContainsUsername)));
        // Usernames under 3 characters are not checked.
        assert!(check_strength("tangerine bo bicycle", "bo").is_ok());
        assert!(matches!(ok("zzzzzzzzzzzzzzzz"), Err(RepeatedCharacter)));
        assert!(matches!(ok("Password1234"), Err(Common)));
        assert!(matches!(ok("QWERTYUIOP123"), Err(Common)));
    }

    #[test]
    fn common_list_is_lower_case_and_long_enough() {
        for p in COMMON {
            assert_eq!(*p, p.to_lowercase());
            assert!(
                p.chars().count() >= MIN_CHARS,
                "{p} is refused by length already"
            );
        }
    }

    #[test]
    fn errors_say_what_to_fix() {
        assert_eq!(
            PasswordError::TooShort.to_string(),
            "password: must be at least 12 characters"
        );
        assert_eq!(
            PasswordError::TooLong.to_string(),
            "password: must be at most 1024 bytes"
        );
    }
}
