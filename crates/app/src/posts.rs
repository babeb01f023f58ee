//! Posts of the coop and its members: public Notes to their followers.

use cooperage_db::{follows, posts};
use cooperage_federation::sanitize::paragraphs;
use cooperage_federation::{local_actors, outbox};

use crate::{App, Error};

/// Longest post, in bytes.
pub const MAX_POST_BYTES: usize = 20_000;

/// Publishes a public Note from a local actor to all its followers; returns its id.
/// `text` is plain text; it is escaped and split into paragraphs.
pub async fn publish_note(app: &App, username: &str, text: &str) -> Result<String, Error> {
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
    let content = paragraphs(text);
    app.write(move |conn, settings| {
        let inboxes = follows::follower_inboxes(conn, author.id)?;
        let (note, create) = outbox::create_note(settings, &author, &content, inboxes);
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
        create.enqueue(conn)?;
        Ok(note_id)
    })
    .await
}
