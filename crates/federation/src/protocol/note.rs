//! Notes: the posts we publish, with their hashtags and mentions.

use std::collections::BTreeMap;

use activitypub_federation::kinds::object::NoteType;
use cooperage_db::actors::Actor;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{PUBLIC, post_context};
use crate::Settings;

/// A post, as Mastodon renders it natively. Stored as it was sent (`posts.object_json`) and
/// served at its id (with [`post_context`](super::post_context) added).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: NoteType,
    pub attributed_to: String,
    pub content: String,
    /// The same HTML per language; Mastodon reads the language from it.
    pub content_map: BTreeMap<String, String>,
    pub published: String,
    pub url: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub tag: Vec<Tag>,
}

/// A Note served at its id: the stored Note with the post context.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServedNote {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(flatten)]
    pub note: Note,
}

/// A stored Note as `GET <note id>` answers it.
pub fn served_note(note: Note) -> ServedNote {
    ServedNote {
        context: post_context(),
        note,
    }
}

/// A `tag` of a Note.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type")]
pub enum Tag {
    /// `#word`, linking the instance's page for the tag (needs `Hashtag` in the context).
    Hashtag { href: String, name: String },
    /// `@user@host`, linking the actor (Mastodon notifies it).
    Mention { href: String, name: String },
}

/// What a new public post says, before it has an id.
pub struct NewPost<'a> {
    pub id: String,
    pub author: &'a Actor,
    /// Sanitized HTML, with `#tags` and `@user@host` mentions still plain text.
    pub content_html: &'a str,
    pub published: String,
    /// Actors named in the text as `@user@host`, already resolved; other mentions stay text.
    pub mentioned: &'a [Actor],
}

/// A public post by a local actor: `to: Public, cc: followers` (what puts it in Mastodon home
/// timelines) and the mentioned actors (what notifies them), its `#tags` and mentions linked
/// as Mastodon links them and listed in `tag`.
pub fn post_to_note(settings: &Settings, post: &NewPost<'_>) -> Note {
    let linked = link_tags(settings, post.content_html, post.mentioned);
    let mut cc = vec![followers_of(post.author)];
    for actor in &linked.mentioned {
        if !cc.contains(&actor.ap_id) {
            cc.push(actor.ap_id.clone());
        }
    }
    let mut hashtags = linked.hashtags;
    hashtags.sort();
    hashtags.dedup();
    let tag = hashtags
        .into_iter()
        .map(|tag| Tag::Hashtag {
            href: tag_url(settings, &tag),
            name: format!("#{tag}"),
        })
        .chain(linked.mentioned.iter().map(|actor| Tag::Mention {
            href: actor.ap_id.clone(),
            name: format!("@{}@{}", actor.username, actor.domain),
        }))
        .collect();
    Note {
        id: post.id.clone(),
        kind: NoteType::Note,
        attributed_to: post.author.ap_id.clone(),
        content: linked.html.clone(),
        content_map: BTreeMap::from([("en".to_owned(), linked.html)]),
        published: post.published.clone(),
        url: post.id.clone(),
        to: vec![PUBLIC.to_owned()],
        cc,
        tag,
    }
}

/// The followers collection of a local actor.
pub fn followers_of(actor: &Actor) -> String {
    format!("{}/followers", actor.ap_id)
}

/// The instance's page of a (lowercased) tag.
fn tag_url(settings: &Settings, tag: &str) -> String {
    format!("{}/tags/{tag}", settings.base_url())
}

/// `@user@host` handles in a text, as `(user, host)`, once each (lowercased), in order. The
/// host may carry a `:port` (instances on `localhost:<port>` in debug mode).
pub fn mention_handles(text: &str) -> Vec<(String, String)> {
    let mut handles: Vec<(String, String)> = Vec::new();
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(at) = rest.find('@') {
        before = rest[..at].chars().next_back().or(before);
        let candidate = &rest[at..];
        match mention_at(candidate) {
            Some((len, user, host)) if before.is_none_or(|c| !is_handle_char(c)) => {
                let handle = (user.to_lowercase(), host.to_lowercase());
                if !handles.contains(&handle) {
                    handles.push(handle);
                }
                before = candidate[..len].chars().next_back();
                rest = &candidate[len..];
            }
            _ => {
                before = Some('@');
                rest = &candidate[1..];
            }
        }
    }
    handles
}

fn is_handle_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | '/')
}

/// `@user@host[:port]` at the start of `text`: its length in bytes, user and host.
fn mention_at(text: &str) -> Option<(usize, &str, &str)> {
    let body = text.strip_prefix('@')?;
    let user_len = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .unwrap_or(body.len());
    let user = body[..user_len].trim_end_matches(['.', '-']);
    if user.is_empty() || user.len() != user_len {
        return None;
    }
    let after = body[user_len..].strip_prefix('@')?;
    let mut host_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':')))
        .unwrap_or(after.len());
    // A sentence may end right after the handle: "… @ana@coop.example."
    while host_len > 0 && matches!(after.as_bytes()[host_len - 1], b'.' | b'-' | b':') {
        host_len -= 1;
    }
    let host = &after[..host_len];
    let valid = host.contains('.') || host.starts_with("localhost");
    if !valid || host.starts_with(['.', '-', ':']) {
        return None;
    }
    Some((1 + user_len + 1 + host_len, user, host))
}

/// HTML with its tags and mentions linked, and what was linked.
struct Linked<'a> {
    html: String,
    /// Lowercased tag names, in order of appearance, possibly repeated.
    hashtags: Vec<String>,
    /// Mentioned actors that appear in the text, once each.
    mentioned: Vec<&'a Actor>,
}

/// Links `#tags` and the mentions of `mentioned` in the text of sanitized HTML, as Mastodon
/// does: `<a href="…/tags/x" class="mention hashtag" rel="tag">#<span>x</span></a>` and
/// `<span class="h-card"><a href="<actor>" class="u-url mention">@<span>user</span></a></span>`.
/// Text inside links, `code` and `pre` is left alone. The input comes from the sanitizer
/// (html5ever's serializer): attribute values are double-quoted with `"` escaped, and `<`
/// appears in text only as `&lt;`, so tags and text can be told apart by scanning.
fn link_tags<'a>(settings: &Settings, html: &str, mentioned: &'a [Actor]) -> Linked<'a> {
    let mut out = Linked {
        html: String::with_capacity(html.len() + 64),
        hashtags: Vec::new(),
        mentioned: Vec::new(),
    };
    // Depth of elements whose text must stay as it is.
    let mut verbatim = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        if rest.starts_with('<') {
            let end = tag_end(rest);
            let tag = &rest[..end];
            let name: String = tag
                .trim_start_matches(['<', '/'])
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if matches!(name.as_str(), "a" | "code" | "pre") {
                if tag.starts_with("</") {
                    verbatim = verbatim.saturating_sub(1);
                } else {
                    verbatim += 1;
                }
            }
            out.html.push_str(tag);
            rest = &rest[end..];
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            if verbatim > 0 {
                out.html.push_str(text);
            } else {
                link_text(settings, text, mentioned, &mut out);
            }
            rest = &rest[end..];
        }
    }
    out
}

/// Length of the tag at the start of `html` (up to its `>` outside quotes).
fn tag_end(html: &str) -> usize {
    let mut quoted = false;
    for (i, c) in html.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i + 1,
            _ => {}
        }
    }
    html.len()
}

/// Links tags and mentions in one text node (already HTML-escaped).
fn link_text<'a>(settings: &Settings, text: &str, mentioned: &'a [Actor], out: &mut Linked<'a>) {
    let mut previous: Option<char> = None;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let c = rest.chars().next().unwrap_or_default();
        // `;` ends an entity (`&amp;#x` is no tag).
        let boundary =
            previous.is_none_or(|p| !(is_handle_char(p) || matches!(p, '#' | '&' | ';')));
        if c == '#' && boundary {
            let len = rest[1..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - 1);
            let tag = &rest[1..1 + len];
            // Mastodon: a tag has at least one letter or `_` ("#1" is a number).
            if !tag.is_empty() && !tag.chars().all(|c| c.is_numeric()) {
                let lower = tag.to_lowercase();
                out.html.push_str(&format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{tag}</span></a>",
                    tag_url(settings, &lower)
                ));
                out.hashtags.push(lower);
                previous = tag.chars().next_back();
                i += 1 + len;
                continue;
            }
        }
        if c == '@'
            && boundary
            && let Some((len, user, host)) = mention_at(rest)
            && let Some(actor) = mentioned.iter().find(|a| {
                a.username.eq_ignore_ascii_case(user) && a.domain.eq_ignore_ascii_case(host)
            })
        {
            out.html.push_str(&format!(
                "<span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@<span>{}</span></a></span>",
                crate::sanitize::escape_html(&actor.ap_id),
                crate::sanitize::escape_html(&actor.username)
            ));
            if !out.mentioned.iter().any(|a| a.id == actor.id) {
                out.mentioned.push(actor);
            }
            previous = rest[..len].chars().next_back();
            i += len;
            continue;
        }
        out.html.push(c);
        previous = Some(c);
        i += c.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeliverySettings;

    fn settings() -> Settings {
        Settings {
            domain: "coop.example".into(),
            debug: false,
            tls: false,
            coop_handle: "coop".into(),
            coop_name: "Coop".into(),
            allowlist_only: false,
            software_version: "0".into(),
            delivery: DeliverySettings::default(),
        }
    }

    fn ana() -> Actor {
        Actor {
            id: 7,
            ap_id: "https://other.example/users/ana".into(),
            actor_type: "Person".into(),
            local: false,
            username: "ana".into(),
            domain: "other.example".into(),
            display_name: None,
            summary: None,
            inbox: "https://other.example/users/ana/inbox".into(),
            shared_inbox: None,
            followers_url: None,
            public_key_id: "https://other.example/users/ana#main-key".into(),
            public_key_pem: String::new(),
            manually_approves_followers: false,
            published: chrono::NaiveDateTime::default(),
            fetched_at: None,
        }
    }

    fn check(html: &str, expected: &str) {
        let actors = [ana()];
        assert_eq!(link_tags(&settings(), html, &actors).html, expected);
    }

    #[test]
    fn tags_and_mentions_are_linked_like_mastodon() {
        check(
            "<p>Hallo #Kooperative @ana@other.example!</p>",
            "<p>Hallo <a href=\"https://coop.example/tags/kooperative\" class=\"mention hashtag\" \
             rel=\"tag\">#<span>Kooperative</span></a> <span class=\"h-card\">\
             <a href=\"https://other.example/users/ana\" class=\"u-url mention\">@<span>ana</span>\
             </a></span>!</p>",
        );
    }

    #[test]
    fn what_is_not_a_tag_or_a_known_mention_stays_text() {
        for html in [
            "<p>issue#12, #1, a#b, &amp;#x</p>",
            "<p>@bob@other.example and mail ana@other.example</p>",
            "<p><a href=\"https://x.example/#top\">#top</a> <code>#[derive]</code></p>",
        ] {
            check(html, html);
        }
    }

    #[test]
    fn handles_are_found_once_with_ports_and_without_trailing_dots() {
        assert_eq!(
            mention_handles(
                "Hi @Ana@Other.example. @bob@localhost:8082, ana@x.example @ana@other.example"
            ),
            vec![
                ("ana".to_owned(), "other.example".to_owned()),
                ("bob".to_owned(), "localhost:8082".to_owned()),
            ]
        );
    }
}
