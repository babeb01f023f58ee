//! The parts of an activity every handler needs, read leniently from the JSON.

use serde_json::Value;

use crate::Error;
use crate::settings::host_of;

/// An activity's id, type, actor and object, as received.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub id: String,
    pub kind: String,
    pub actor: String,
    /// The object: an id string or an embedded object.
    pub object: Value,
}

/// An id that may be given as a string or as an object with an `id`.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(id) => Some(id),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Refuses text no database may store: PostgreSQL's text cannot hold U+0000, and one such
/// activity must not fail the batch it would be written with.
fn refuse_nul(value: &Value) -> Result<(), Error> {
    let bad = |s: &str| s.contains('\0');
    match value {
        Value::String(s) if bad(s) => Err(Error::BadRequest(
            "activity contains a NUL character (U+0000)".into(),
        )),
        Value::Array(items) => items.iter().try_for_each(refuse_nul),
        Value::Object(map) => map.iter().try_for_each(|(key, value)| {
            if bad(key) {
                return Err(Error::BadRequest(
                    "activity contains a NUL character (U+0000)".into(),
                ));
            }
            refuse_nul(value)
        }),
        _ => Ok(()),
    }
}

impl Envelope {
    /// Reads the envelope; `proof` and LD `signature` properties are not looked at. Refuses
    /// activities with text that cannot be stored.
    pub fn parse(json: &Value) -> Result<Self, Error> {
        refuse_nul(json)?;
        let field = |name: &str| -> Result<String, Error> {
            json.get(name)
                .and_then(id_of)
                .map(str::to_owned)
                .ok_or_else(|| Error::BadRequest(format!("activity has no `{name}`")))
        };
        let kind = json
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::BadRequest("activity has no `type`".into()))?
            .to_owned();
        Ok(Self {
            id: field("id")?,
            kind,
            actor: field("actor")?,
            object: json.get("object").cloned().unwrap_or(Value::Null),
        })
    }

    /// The activity's id must be on its actor's host (Mastodon's rule too).
    pub fn check_origin(&self) -> Result<(), Error> {
        if host_of(&self.id).is_none() || host_of(&self.id) != host_of(&self.actor) {
            return Err(Error::Forbidden(format!(
                "activity id {} is not on the host of its actor {}",
                self.id, self.actor
            )));
        }
        Ok(())
    }

    /// The object's id, when there is one.
    pub fn object_id(&self) -> Option<&str> {
        id_of(&self.object)
    }

    /// The embedded object's type, if the object is embedded.
    pub fn object_type(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }
}
