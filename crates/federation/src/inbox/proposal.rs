//! Proposals from the network: a coop's `Create` / `Update` of its Question, votes
//! (`Create{Note{name, inReplyTo}}` without content, one Note or several in an array as
//! GoToSocial sends them) and comments (replies with content to one of our proposals).
//! Asked before the post family, which would otherwise take Questions and replies for posts.

use serde_json::Value;

use super::dispatch::{Effect, Handler, Incoming, Tx};
use super::envelope::id_of;
use crate::Error;
use crate::proposals::{
    ReceivedQuestion, ReceivedVote, queue_comment_relay, read_question, store_question, store_votes,
};
use crate::protocol::proposal::{KIND, Question};

/// A coop published or updated (tallies, close) one of its proposals.
pub struct QuestionPublished(ReceivedQuestion);

impl Handler for QuestionPublished {
    const TYPES: &'static [&'static str] = &["Create", "Update"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = &incoming.envelope.object;
        if object.get("type").and_then(Value::as_str) != Some("Question")
            || object.get("coopKind").and_then(Value::as_str) != Some(KIND)
        {
            return Ok(None);
        }
        let question: Question = serde_json::from_value(object.clone())
            .map_err(|e| Error::BadRequest(format!("not a proposal: {e}")))?;
        Ok(Some(Self(read_question(&question, incoming.signer)?)))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(
            if store_question(tx.conn, tx.settings, tx.signer, &self.0)? {
                Effect::Done
            } else {
                Effect::Ignored
            },
        )
    }
}

/// A vote: a Note with `name` and `inReplyTo`, without content.
fn vote_of(note: &Value) -> Option<ReceivedVote> {
    let no_content = note
        .get("content")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if note.get("type").and_then(Value::as_str) != Some("Note") || !no_content {
        return None;
    }
    Some(ReceivedVote {
        note_id: note.get("id").and_then(Value::as_str).map(str::to_owned),
        question: note.get("inReplyTo").and_then(id_of)?.to_owned(),
        name: note.get("name").and_then(Value::as_str)?.to_owned(),
        published: note
            .get("published")
            .and_then(Value::as_str)
            .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
            .map(|p| p.naive_utc()),
    })
}

/// One or several votes of one voter.
pub struct VotesCast(Vec<ReceivedVote>);

impl Handler for VotesCast {
    const TYPES: &'static [&'static str] = &["Create"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let notes: Vec<&Value> = match &incoming.envelope.object {
            Value::Array(items) => items.iter().collect(),
            object @ Value::Object(_) => vec![object],
            _ => return Ok(None),
        };
        let votes: Vec<ReceivedVote> = notes.iter().filter_map(|n| vote_of(n)).collect();
        if votes.is_empty() || votes.len() != notes.len() {
            return Ok(None);
        }
        // A vote is its voter's own: attributed to whoever signed it.
        let signer = &incoming.signer.ap_id;
        if notes.iter().any(|n| {
            n.get("attributedTo")
                .and_then(id_of)
                .is_some_and(|a| a != signer)
        }) {
            return Err(Error::BadRequest(
                "vote is attributed to another actor".into(),
            ));
        }
        Ok(Some(Self(votes)))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        Ok(if store_votes(tx.conn, tx.signer, &self.0)? > 0 {
            Effect::Done
        } else {
            Effect::Ignored
        })
    }
}

/// A reply with content to one of our proposals: its discussion.
pub struct Commented {
    id: String,
    proposal: String,
    content: String,
    /// Addressed to Public (in `to` or `cc`): only such a comment is relayed, since servers
    /// fetching it from its author's server could not read it otherwise.
    public: bool,
}

fn addresses_public(object: &Value) -> bool {
    ["to", "cc"].iter().any(|key| match object.get(*key) {
        Some(Value::String(one)) => is_public(one),
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).any(is_public),
        _ => false,
    })
}

fn is_public(id: &str) -> bool {
    matches!(
        id,
        "https://www.w3.org/ns/activitystreams#Public" | "as:Public" | "Public"
    )
}

/// A reply with content and an id: the comment's parts, sanitized.
fn comment_of(object: &Value) -> Option<(String, String, String)> {
    let content = object.get("content").and_then(Value::as_str).unwrap_or("");
    if object.get("type").and_then(Value::as_str) != Some("Note") || content.is_empty() {
        return None;
    }
    Some((
        object.get("id").and_then(Value::as_str)?.to_owned(),
        object.get("inReplyTo").and_then(id_of)?.to_owned(),
        crate::sanitize::html(content),
    ))
}

impl Handler for Commented {
    const TYPES: &'static [&'static str] = &["Create"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let object = &incoming.envelope.object;
        let settings = incoming.settings;
        let Some(proposal) = object.get("inReplyTo").and_then(id_of) else {
            return Ok(None);
        };
        // Only replies to our own proposals are ours; the rest stay posts.
        let ours = format!("{}/proposals/", settings.base_url());
        let content = object.get("content").and_then(Value::as_str).unwrap_or("");
        if object.get("type").and_then(Value::as_str) != Some("Note")
            || !proposal.starts_with(&ours)
            || content.is_empty()
        {
            return Ok(None);
        }
        let Some((id, proposal, content)) = comment_of(object) else {
            return Err(Error::BadRequest("comment without id".into()));
        };
        if crate::settings::host_of(&id) != crate::settings::host_of(&incoming.signer.ap_id) {
            return Err(Error::BadRequest(
                "comment is not on its author's host".into(),
            ));
        }
        Ok(Some(Self {
            id,
            proposal,
            content,
            public: addresses_public(object),
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        let Some(proposal) = cooperage_db::proposals::by_ap_id(tx.conn, &self.proposal)? else {
            return Ok(Effect::Ignored);
        };
        let new = cooperage_db::proposals::add_comment(
            tx.conn,
            proposal.id,
            &self.id,
            &tx.signer.ap_id,
            &self.content,
        )?;
        if new && self.public && proposal.is_public() {
            queue_comment_relay(tx.conn, tx.settings, &proposal, &self.id)?;
            return Ok(Effect::Queued);
        }
        Ok(Effect::Done)
    }
}

/// A comment on a network proposal of another coop, relayed by that coop (`Announce` of the
/// comment, fetched from its author's server before recognizing): kept in the discussion.
pub struct CommentRelayed {
    id: String,
    proposal: String,
    author: String,
    content: String,
}

impl Handler for CommentRelayed {
    const TYPES: &'static [&'static str] = &["Announce"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        let Some((id, proposal, content)) = comment_of(&incoming.envelope.object) else {
            return Ok(None);
        };
        // Only a coop relays the replies to its own proposals (`/proposals/` on its host).
        let host = crate::settings::host_of(&incoming.signer.ap_id);
        if crate::settings::host_of(&proposal) != host
            || !url::Url::parse(&proposal).is_ok_and(|u| u.path().starts_with("/proposals/"))
        {
            return Ok(None);
        }
        let Some(author) = incoming.envelope.object.get("attributedTo").and_then(id_of) else {
            return Ok(None);
        };
        // The comment was fetched from its id's host, or embedded by the coop on its own host:
        // its author must be on that host.
        if crate::settings::host_of(author) != crate::settings::host_of(&id) {
            return Err(Error::BadRequest(
                "comment is not on its author's host".into(),
            ));
        }
        Ok(Some(Self {
            id,
            proposal,
            author: author.to_owned(),
            content,
        }))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        let Some(proposal) = cooperage_db::proposals::by_ap_id(tx.conn, &self.proposal)?
            .filter(|p| !p.local && p.coop_actor_id == tx.signer.id)
        else {
            return Ok(Effect::Ignored);
        };
        cooperage_db::proposals::add_comment(
            tx.conn,
            proposal.id,
            &self.id,
            &self.author,
            &self.content,
        )?;
        Ok(Effect::Done)
    }
}

/// The family as the dispatch lists it: a Question, votes, a comment, or a relayed comment.
pub enum ProposalActivity {
    // Boxed: a Question's form is large, and votes (the hot path) are small.
    Question(Box<QuestionPublished>),
    Votes(VotesCast),
    Comment(Commented),
    Relayed(CommentRelayed),
}

impl Handler for ProposalActivity {
    const TYPES: &'static [&'static str] = &["Create", "Update", "Announce"];

    fn recognize(incoming: &Incoming<'_>) -> Result<Option<Self>, Error> {
        if incoming.envelope.kind == "Announce" {
            return Ok(CommentRelayed::recognize(incoming)?.map(Self::Relayed));
        }
        if let Some(question) = QuestionPublished::recognize(incoming)? {
            return Ok(Some(Self::Question(Box::new(question))));
        }
        if incoming.envelope.kind != "Create" {
            return Ok(None);
        }
        if let Some(votes) = VotesCast::recognize(incoming)? {
            return Ok(Some(Self::Votes(votes)));
        }
        Ok(Commented::recognize(incoming)?.map(Self::Comment))
    }

    fn apply(&self, tx: &mut Tx<'_>) -> Result<Effect, cooperage_db::DbError> {
        match self {
            Self::Question(question) => question.apply(tx),
            Self::Votes(votes) => votes.apply(tx),
            Self::Comment(comment) => comment.apply(tx),
            Self::Relayed(comment) => comment.apply(tx),
        }
    }
}
