//! Cooperage's application layer: one module per thing members and admins do.
//!
//! Each operation checks its rules with `domain`, writes its rows **and** the activities they
//! cause in one transaction, then wakes delivery. The API handlers, the CLI and the pages call
//! these operations; they only parse, authorize and render. This crate sits between `web` and
//! `federation` so that the CLI reaches every operation without going through HTTP.

pub mod accounts;
pub mod directory;
mod error;
pub mod federation;
pub mod groups;
pub mod invitations;
pub mod members;
pub mod offers;
pub mod posts;
pub mod projects;
pub mod proposals;
pub mod secrets;
pub mod skills;

use std::time::Duration;

use cooperage_db::Database;
use cooperage_federation::{Data, Federation, FederationContext, Settings};

pub use error::Error;

/// Settings of accounts, from the config's `[members]` section.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Length of a candidate's trial before they may be promoted.
    pub trial: Duration,
    /// How long an invitation stays valid.
    pub invitation_validity: Duration,
    /// How long a login session lasts.
    pub session_lifetime: Duration,
    /// The bound on argon2 work, shared by everything that hashes or verifies passwords.
    pub passwords: secrets::password::PasswordWork,
    /// The directory's settings (config `[directory]`): here so that the one settings value
    /// the binary builds reaches every operation.
    pub directory: directory::DirectorySettings,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            trial: Duration::from_secs(182 * 86_400),
            invitation_validity: Duration::from_secs(7 * 86_400),
            session_lifetime: Duration::from_secs(30 * 86_400),
            passwords: secrets::password::PasswordWork::for_this_machine(),
            directory: directory::DirectorySettings::default(),
        }
    }
}

/// One instance's application: its federation layer and account settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    federation: Federation,
    accounts: AccountSettings,
}

impl App {
    pub fn new(federation: Federation, accounts: AccountSettings) -> Self {
        Self {
            federation,
            accounts,
        }
    }

    pub fn federation(&self) -> &Federation {
        &self.federation
    }

    pub fn context(&self) -> &FederationContext {
        self.federation.context()
    }

    /// Request data for operations that may fetch from other servers.
    pub fn data(&self) -> Data {
        self.federation.data()
    }

    pub fn db(&self) -> &Database {
        self.context().db()
    }

    pub fn settings(&self) -> &Settings {
        self.context().settings()
    }

    pub fn accounts(&self) -> &AccountSettings {
        &self.accounts
    }

    /// Runs `work` in one write transaction (rows and queued activities together), then wakes
    /// the delivery worker: whatever it queued is committed by then.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut cooperage_db::AnyConnection, &Settings) -> Result<T, Error> + Send + 'static,
    {
        let settings = self.settings().clone();
        let result = self
            .db()
            .write(move |conn| {
                Ok::<_, cooperage_db::DbError>(cooperage_db::transaction(conn, |conn| {
                    work(conn, &settings)
                }))
            })
            .await??;
        self.context().wake_delivery();
        Ok(result)
    }

    /// Runs a read (or a single write that queues nothing) on the blocking pool.
    pub(crate) async fn read<T, F>(&self, work: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut cooperage_db::AnyConnection) -> Result<T, cooperage_db::DbError>
            + Send
            + 'static,
    {
        Ok(self.db().run(work).await?)
    }
}
