//! Posts of the coop and its members: public Notes to their followers and the actors they
//! mention.

use cooperage_db::actors::Actor;
use cooperage_db::{follows, posts};
use cooperage_federation::protocol::note::mention_handles;
use cooperage_federation::resolve::resolve_actor;
use cooperage_federation::{local_actors, outbox, sanitize};
use pulldown_cmark::{Event, Options, Parser};

use crate::{App, Error};

/// Longest post, in bytes.
pub const MAX_POST_BYTES: usize = 20_000;

/// Most `@user@host` mentions in one post: each costs a WebFinger lookup and a delivery.
pub const MAX_MENTIONS: usize = 20;

/// A published post.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The Note's id.
    pub id: String,
    /// Inboxes the Create was queued for (followers' shared inboxes and mentioned actors').
    pub inboxes: usize,
    /// `@user@host` mentions that could not be resolved; they stay plain text.
    pub unresolved_mentions: Vec<String>,
}

/// Publishes a public Note from a local actor to all its followers and the actors it
/// mentions. `text` is Markdown (CommonMark; a line break is kept as a break); `#tags` and
/// `@user@host` mentions are linked as Mastodon links them.
pub async fn publish_note(app: &App, username: &str, text: &str) -> Result<Published, Error> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid("text", "a post needs some text"));
    }
    if text.len() > MAX_POST_BYTES {
        return Err(Error::invalid(
            "text",
            format!("a post is at most {MAX_POST_BYTES} bytes"),
        ));
    }
    let author = local_actors::local(app.context(), username)
        .await?
        .ok_or(Error::NotFound)?;
    let handles = mention_handles(text);
    if handles.len() > MAX_MENTIONS {
        return Err(Error::invalid(
            "text",
            format!("a post mentions at most {MAX_MENTIONS} accounts"),
        ));
    }
    // WebFinger and actor fetches happen here, before the transaction: no network I/O while
    // the database is locked.
    let (mentioned, unresolved_mentions) = resolve_mentions(app, handles).await?;
    let content = sanitize::html(&markdown_to_html(text));
    app.write(move |conn, settings| {
        let inboxes = follows::follower_inboxes(conn, author.id)?;
        let (note, create) = outbox::create_note(settings, &author, &content, &mentioned, inboxes);
        let note_id = note["id"].as_str().unwrap_or_default().to_owned();
        posts::upsert(
            conn,
            &posts::PostForm {
                ap_id: note_id.clone(),
                author_id: author.id,
                object_type: "Note".into(),
                content: note["content"].as_str().unwrap_or_default().to_owned(),
                object_json: note.to_string(),
                local: true,
                published: cooperage_db::now(),
                updated: None,
            },
        )?;
        let inboxes = create.inboxes.len();
        create.enqueue(conn)?;
        Ok(Published {
            id: note_id,
            inboxes,
            unresolved_mentions,
        })
    })
    .await
}

/// Finds the mentioned actors: ours in the database, others by WebFinger. A mention that
/// cannot be resolved stays text, as on Mastodon; a blocked host is refused.
async fn resolve_mentions(
    app: &App,
    handles: Vec<(String, String)>,
) -> Result<(Vec<Actor>, Vec<String>), Error> {
    let mut mentioned = Vec::new();
    let mut unresolved = Vec::new();
    for (user, host) in handles {
        let handle = format!("@{user}@{host}");
        let actor = if host.eq_ignore_ascii_case(&app.settings().domain) {
            local_actors::local(app.context(), &user).await?
        } else {
            match resolve_actor(&app.data(), &handle).await {
                Ok(actor) => Some(actor),
                Err(cooperage_federation::Error::Forbidden(why)) => {
                    return Err(Error::Forbidden(format!("{handle}: {why}")));
                }
                Err(error) => {
                    tracing::debug!(%handle, error = %error, "mention not resolved");
                    None
                }
            }
        };
        match actor {
            Some(actor) => mentioned.push(actor),
            None => unresolved.push(handle),
        }
    }
    Ok((mentioned, unresolved))
}

/// Markdown to HTML. Raw HTML in the text is passed on for the sanitizer to clean; a single
/// line break stays a break, as people expect from a post (CommonMark would join the lines).
pub(crate) fn markdown_to_html(text: &str) -> String {
    let events = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        Event::SoftBreak => Event::HardBreak,
        other => other,
    });
    let mut html = String::with_capacity(text.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    without_layout_newlines(&html)
}

/// Drops the newlines the renderer writes after tags (`</p>\n<p>`, `<br />\n`), except in
/// `pre`: Mastodon shows post content with `white-space: pre-wrap`, where each would be an
/// extra line break. In the renderer's output a literal `>` only ends a tag (text is escaped).
fn without_layout_newlines(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_pre = false;
    let mut rest = html;
    while let Some(end) = rest.find('>') {
        let (chunk, after) = rest.split_at(end + 1);
        if chunk.ends_with("<pre>") || chunk.contains("<pre ") {
            in_pre = true;
        } else if chunk.ends_with("</pre>") {
            in_pre = false;
        }
        out.push_str(chunk);
        rest = if in_pre {
            after
        } else {
            after.strip_prefix('\n').unwrap_or(after)
        };
    }
    out.push_str(rest);
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::markdown_to_html;
    use cooperage_federation::sanitize;

    fn check(markdown: &str, expected: &str) {
        assert_eq!(sanitize::html(&markdown_to_html(markdown)), expected);
    }

    #[test]
    fn markdown_is_rendered_and_sanitized() {
        check(
            "Hallo **Welt**\nzweite Zeile\n\n- eins\n- `zwei`",
            "<p>Hallo <strong>Welt</strong><br>zweite Zeile</p><ul><li>eins</li><li><code>zwei</code></li></ul>",
        );
        check(
            "Wir <3 Coops <script>alert(1)</script> [x](javascript:alert(1))",
            "<p>Wir &lt;3 Coops  <a rel=\"nofollow noopener noreferrer\">x</a></p>",
        );
        check("#kooperative am Anfang", "<p>#kooperative am Anfang</p>");
        check(
            "Code:\n\n```\nfn main() {}\n\nlet x;\n```",
            "<p>Code:</p><pre><code>fn main() {}\n\nlet x;\n</code></pre>",
        );
    }
}
