//! Proposals on the wire: a `Question` attributed to the coop actor, as Mastodon reads polls
//! (`oneOf` / `anyOf` of Notes with `name` and `replies.totalItems`, `endTime`, `closed`,
//! `votersCount`), with our terms (`scope`, `countingMode`, `quorum`, `quorumCoops`,
//! `resultsMode`, `openPoll`, `outcome`) under the Cooperage context; votes as Mastodon sends
//! them (`Create{Note{name, inReplyTo}}` without content), and the Note announcing an outcome.

use activitypub_federation::kinds::activity::{CreateType, UpdateType};
use activitypub_federation::kinds::object::NoteType;
use cooperage_db::actors::Actor;
use cooperage_db::proposals::Proposal;
use cooperage_domain::proposal::{Kind, Tally};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{AS_CONTEXT, PUBLIC, context};
use crate::Settings;
use crate::sanitize::escape_html;

/// The `coopKind` of a proposal.
pub const KIND: &str = "Proposal";

/// One option of a Question: its name and how many votes it has.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuestionOption {
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub name: String,
    #[serde(default)]
    pub replies: Replies,
}

/// `replies` of an option: only its `totalItems` is read (Mastodon's tally).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Replies {
    #[serde(rename = "type", default = "collection")]
    pub kind: String,
    #[serde(default)]
    pub total_items: u64,
}

fn collection() -> String {
    "Collection".into()
}

/// A proposal as a Question.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    #[serde(rename = "@context", skip_serializing_if = "Option::is_none")]
    pub context: Option<Value>,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributed_to: String,
    /// The title (Mastodon ignores a Question's name and shows `content`).
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed: Option<String>,
    #[serde(default)]
    pub voters_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<QuestionOption>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub any_of: Option<Vec<QuestionOption>>,
    #[serde(default)]
    pub coop_kind: Option<String>,
    /// `single`, `multiple` or `consent` (a consent proposal is a `oneOf` of four answers).
    #[serde(default)]
    pub proposal_kind: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub counting_mode: Option<String>,
    #[serde(default)]
    pub results_mode: Option<String>,
    /// Minimum share of eligible voters, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum: Option<u32>,
    /// Minimum number of coops taking part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quorum_coops: Option<u32>,
    /// Whether votes from outside the network are taken (advisory).
    #[serde(default)]
    pub open_poll: bool,
    /// Outside votes per option, in option order (kept apart from the count).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub advisory: Vec<u64>,
    /// The outcome, once closed (`Outcome::describe`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

impl Question {
    /// The options, whichever property carries them.
    pub fn options(&self) -> &[QuestionOption] {
        self.one_of
            .as_deref()
            .or(self.any_of.as_deref())
            .unwrap_or_default()
    }
}

/// Our terms a Question uses, inline (Mastodon fetches no contexts).
const TERMS: [&str; 10] = [
    "coopKind",
    "proposalKind",
    "scope",
    "countingMode",
    "resultsMode",
    "quorum",
    "quorumCoops",
    "openPoll",
    "advisory",
    "outcome",
];

/// The JSON-LD context of proposals: ActivityStreams, Mastodon's `votersCount`, our context
/// document and our terms inline.
pub fn question_context(settings: &Settings) -> Value {
    context::inline(
        settings,
        &TERMS,
        &[
            ("toot", "http://joinmastodon.org/ns#"),
            ("votersCount", "toot:votersCount"),
        ],
    )
}

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Who a proposal goes to: Public (Mastodon users may read it and, if open, vote), the coop's
/// followers and the network's coops.
pub fn audience(coop: &Actor, network: &[String]) -> (Vec<String>, Vec<String>) {
    super::audience(coop, cooperage_domain::skill::Visibility::Public, network)
}

/// The Question of one of our proposals, with the tally as far as it may be shown.
pub fn proposal_to_question(
    settings: &Settings,
    proposal: &Proposal,
    coop: &Actor,
    tally: &Tally,
    (to, cc): (Vec<String>, Vec<String>),
) -> Question {
    let options: Vec<QuestionOption> = proposal
        .option_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| QuestionOption {
            kind: NoteType::Note,
            name,
            replies: Replies {
                kind: collection(),
                total_items: tally.counts.get(i).copied().unwrap_or(0),
            },
        })
        .collect();
    let content = format!(
        "<p><strong>{}</strong></p>{}<p><a href=\"{id}\">{id}</a></p>",
        escape_html(&proposal.title),
        proposal.body_html,
        id = proposal.ap_id
    );
    let multiple = proposal.kind == Kind::Multiple;
    Question {
        context: Some(question_context(settings)),
        id: proposal.ap_id.clone(),
        kind: "Question".into(),
        attributed_to: coop.ap_id.clone(),
        name: proposal.title.clone(),
        content,
        published: Some(time(proposal.created_at)),
        url: Some(proposal.ap_id.clone()),
        to,
        cc,
        end_time: Some(time(proposal.closes_at)),
        // Mastodon reads a date in `closed` as the time it closed.
        closed: proposal.closed.then(|| time(proposal.closes_at)),
        voters_count: tally.voters,
        one_of: (!multiple).then(|| options.clone()),
        any_of: multiple.then_some(options),
        coop_kind: Some(KIND.into()),
        proposal_kind: Some(proposal.kind.as_str().into()),
        scope: Some(proposal.scope.as_str().into()),
        counting_mode: Some(proposal.counting.as_str().into()),
        results_mode: Some(proposal.results.as_str().into()),
        quorum: proposal.quorum_percent.and_then(|q| u32::try_from(q).ok()),
        quorum_coops: proposal.quorum_coops.and_then(|q| u32::try_from(q).ok()),
        open_poll: proposal.open_poll,
        advisory: if proposal.open_poll {
            tally.advisory.clone()
        } else {
            Vec::new()
        },
        outcome: proposal.outcome.clone(),
    }
}

/// `Create` or `Update` of a Question, from the coop.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionActivity {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: Question,
}

fn question_activity(id: &str, kind: String, question: Question) -> QuestionActivity {
    QuestionActivity {
        context: question.context.clone().unwrap_or(Value::Null),
        id: id.to_owned(),
        kind,
        actor: question.attributed_to.clone(),
        to: question.to.clone(),
        cc: question.cc.clone(),
        object: Question {
            context: None,
            ..question
        },
    }
}

/// `Create{Question}`: a new proposal.
pub fn create_question(id: &str, question: Question) -> QuestionActivity {
    question_activity(id, CreateType::Create.to_string(), question)
}

/// `Update{Question}`: new tallies, or the close. Never an `updated`: Mastodon would take it
/// for an edit (or drop it as stale), see MASTODON.md §6.3.
pub fn update_question(id: &str, question: Question) -> QuestionActivity {
    question_activity(id, UpdateType::Update.to_string(), question)
}

/// A vote as Mastodon sends it: a Note with the option's name, replying to the Question,
/// without content, to the proposal's coop.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VoteNote {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub name: String,
    pub attributed_to: String,
    pub in_reply_to: String,
    pub to: String,
    /// When the member voted: a changed vote is ordered by it (deliveries may overtake each
    /// other). Mastodon sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
}

/// `Create{Note}` of a vote.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreateVote {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CreateType,
    pub actor: String,
    pub to: String,
    pub object: VoteNote,
}

/// A member's vote for `option` on a proposal hosted by `coop`; `vote_id` is the Note's id.
pub fn vote_to_note(
    vote_id: &str,
    voter: &Actor,
    question: &str,
    coop: &str,
    option: &str,
    published: chrono::NaiveDateTime,
) -> CreateVote {
    CreateVote {
        context: json!(AS_CONTEXT),
        id: format!("{vote_id}/activity"),
        kind: CreateType::Create,
        actor: voter.ap_id.clone(),
        to: coop.to_owned(),
        object: VoteNote {
            id: vote_id.to_owned(),
            kind: NoteType::Note,
            name: option.to_owned(),
            attributed_to: voter.ap_id.clone(),
            in_reply_to: question.to_owned(),
            to: coop.to_owned(),
            // Microseconds: two changes within a second keep their order.
            published: Some(
                published
                    .and_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
        },
    }
}

/// A Note replying to a Question: a comment, or the coop announcing the outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReplyNote {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub attributed_to: String,
    pub in_reply_to: String,
    pub content: String,
    pub published: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// `Create{Note}` of a reply to a Question.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreateReply {
    #[serde(rename = "@context")]
    pub context: Value,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: CreateType,
    pub actor: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub object: ReplyNote,
}

/// Says in words how a proposal ended, for people reading it in Mastodon.
pub fn outcome_words(outcome: &str) -> String {
    match outcome.split_once(':') {
        Some(("winner", option)) => format!("chosen: {}", escape_html(option)),
        Some(("tie", options)) => {
            format!("tie between {}", escape_html(&options.replace('|', ", ")))
        }
        _ => match outcome {
            "passed" => "passed".into(),
            "blocked" => "blocked".into(),
            "not_passed" => "not passed".into(),
            "quorum_not_met" => "quorum not met".into(),
            _ => "no decision".into(),
        },
    }
}

/// The announcement of a proposal's outcome (`note_id` minted by the caller).
pub fn announce_outcome(
    note_id: &str,
    proposal: &Proposal,
    coop: &Actor,
    outcome: &str,
    (to, cc): (Vec<String>, Vec<String>),
) -> CreateReply {
    let published = time(proposal.closes_at);
    CreateReply {
        context: json!(AS_CONTEXT),
        id: format!("{note_id}/activity"),
        kind: CreateType::Create,
        actor: coop.ap_id.clone(),
        to: to.clone(),
        cc: cc.clone(),
        object: ReplyNote {
            id: note_id.to_owned(),
            kind: NoteType::Note,
            attributed_to: coop.ap_id.clone(),
            in_reply_to: proposal.ap_id.clone(),
            content: format!(
                "<p>Proposal closed: <strong>{}</strong>: {}</p>",
                escape_html(&proposal.title),
                outcome_words(outcome)
            ),
            published,
            to,
            cc,
        },
    }
}

/// A member's comment on a network proposal: a public reply to the Question (`to` the
/// hosting coop, Public in `cc`, as Mastodon writes an unlisted reply), so that the hosting
/// coop may `Announce` it to its followers and the network. Sent to the hosting coop, and
/// served at its id.
pub fn comment_note(
    note_id: &str,
    author: &Actor,
    question: &str,
    coop: &str,
    html: &str,
    published: chrono::NaiveDateTime,
) -> CreateReply {
    let to = vec![coop.to_owned()];
    let cc = vec![PUBLIC.to_owned()];
    CreateReply {
        context: json!(AS_CONTEXT),
        id: format!("{note_id}/activity"),
        kind: CreateType::Create,
        actor: author.ap_id.clone(),
        to: to.clone(),
        cc: cc.clone(),
        object: ReplyNote {
            id: note_id.to_owned(),
            kind: NoteType::Note,
            attributed_to: author.ap_id.clone(),
            in_reply_to: question.to_owned(),
            content: html.to_owned(),
            published: time(published),
            to,
            cc,
        },
    }
}

/// The hosting coop relays a comment on one of its network proposals: `Announce` of the
/// comment's id (receivers fetch it from its author's server, as Mastodon does with boosts),
/// to whoever got the Question.
pub fn announce_comment(
    id: &str,
    coop: &Actor,
    comment: &str,
    (to, cc): (Vec<String>, Vec<String>),
) -> super::skill::Announce {
    super::skill::Announce {
        context: json!(AS_CONTEXT),
        id: id.to_owned(),
        kind: activitypub_federation::kinds::activity::AnnounceType::Announce,
        actor: coop.ap_id.clone(),
        published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        to,
        cc,
        object: comment.to_owned(),
    }
}
