//! Who sees what our coop publishes: the network (coops that follow each other with ours),
//! and the audiences of an object by its visibility. Skill listings, offers and proposals
//! all address through here, so "who loses sight of it" is computed once.

use cooperage_db::actors::{self, Actor};
use cooperage_db::{AnyConnection, DbError, follows};
use cooperage_domain::skill::Visibility;

use crate::Settings;

/// Our coop and the coops in its network (following each other).
pub fn network(
    conn: &mut AnyConnection,
    settings: &Settings,
) -> Result<(Actor, Vec<Actor>), DbError> {
    let coop = actors::local_by_username(conn, &settings.coop_handle)?
        .ok_or(DbError::Query(cooperage_db::QueryError::NotFound))?;
    let network = follows::mutual(conn, coop.id)?;
    Ok((coop, network))
}

/// Whether `coop` (a remote actor) and ours follow each other.
pub fn in_network(
    conn: &mut AnyConnection,
    settings: &Settings,
    coop: i64,
) -> Result<bool, DbError> {
    let (_, network) = network(conn, settings)?;
    Ok(network.iter().any(|c| c.id == coop))
}

/// What happened to one of our objects, for its audiences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Published now.
    Created,
    /// Changed; it was visible as `before`.
    Updated { before: Visibility },
    /// Removed; it was visible as `before`.
    Deleted { before: Visibility },
}

impl Change {
    /// Visibility before the change, and after it (`None`: gone), for an object now `current`.
    pub fn span(self, current: Visibility) -> (Visibility, Option<Visibility>) {
        match self {
            Change::Created => (Visibility::Coop, Some(current)),
            Change::Updated { before } => (before, Some(current)),
            Change::Deleted { before } => (before, None),
        }
    }
}

/// The inboxes an object may reach: its publisher's followers' and the network coops'.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    followers: Vec<String>,
    network: Vec<String>,
}

impl Audience {
    /// The audience of an object published by `publisher` (the member or the coop).
    pub fn load(
        conn: &mut AnyConnection,
        publisher: i64,
        network: &[Actor],
    ) -> Result<Self, DbError> {
        Ok(Self::new(
            follows::follower_inboxes(conn, publisher)?,
            network
                .iter()
                .map(|c| c.delivery_inbox().to_owned())
                .collect(),
        ))
    }

    fn new(followers: Vec<String>, network: Vec<String>) -> Self {
        Self { followers, network }
    }

    /// Who may see an object of `visibility`: nobody outside (`coop`), the network's coops
    /// (`network`), also the publisher's followers (`public`). Each inbox once.
    pub fn inboxes_for(&self, visibility: Visibility) -> Vec<String> {
        let mut inboxes: Vec<String> = match visibility {
            Visibility::Public => self
                .followers
                .iter()
                .chain(&self.network)
                .cloned()
                .collect(),
            Visibility::Network => self.network.clone(),
            Visibility::Coop => Vec::new(),
        };
        inboxes.sort();
        inboxes.dedup();
        inboxes
    }

    /// Who saw it before and may not now (they get a `Delete`).
    pub fn gone(&self, before: Visibility, now: Option<Visibility>) -> Vec<String> {
        let keep = now.map(|v| self.inboxes_for(v)).unwrap_or_default();
        self.inboxes_for(before)
            .into_iter()
            .filter(|i| !keep.contains(i))
            .collect()
    }
}

/// An ActivityStreams date-time (RFC 3339) as stored.
pub fn parse_time(text: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Visibility::*;

    fn audience() -> Audience {
        Audience::new(
            vec![
                "https://mastodon.example/inbox".into(),
                "https://b.example/inbox".into(),
            ],
            vec![
                "https://b.example/inbox".into(),
                "https://c.example/inbox".into(),
            ],
        )
    }

    #[test]
    fn each_visibility_reaches_its_audience_once() {
        let a = audience();
        assert!(a.inboxes_for(Coop).is_empty());
        assert_eq!(
            a.inboxes_for(Network),
            ["https://b.example/inbox", "https://c.example/inbox"]
        );
        assert_eq!(
            a.inboxes_for(Public),
            [
                "https://b.example/inbox",
                "https://c.example/inbox",
                "https://mastodon.example/inbox"
            ]
        );
    }

    #[test]
    fn narrowing_takes_it_from_whoever_loses_sight() {
        let a = audience();
        // public → network: the followers outside the network lose it, the network keeps it.
        assert_eq!(
            a.gone(Public, Some(Network)),
            ["https://mastodon.example/inbox"]
        );
        // public → coop: everyone.
        assert_eq!(a.gone(Public, Some(Coop)), a.inboxes_for(Public));
        // network → coop: the network.
        assert_eq!(a.gone(Network, Some(Coop)), a.inboxes_for(Network));
        // Widening takes nothing back; removal takes it from everyone who saw it.
        assert!(a.gone(Coop, Some(Public)).is_empty());
        assert!(a.gone(Network, Some(Public)).is_empty());
        assert_eq!(a.gone(Network, None), a.inboxes_for(Network));
    }

    #[test]
    fn a_change_spans_before_and_after() {
        assert_eq!(Change::Created.span(Public), (Coop, Some(Public)));
        assert_eq!(
            Change::Updated { before: Public }.span(Network),
            (Public, Some(Network))
        );
        assert_eq!(
            Change::Deleted { before: Network }.span(Network),
            (Network, None)
        );
    }
}
