//! Groups inside the coop (AGs, city and competence groups): everyone in the coop sees them;
//! admins create them and add anyone; members join and leave themselves.

use cooperage_db::groups::{self, Group};
use cooperage_db::members::{self, Member};
use cooperage_domain::member::GroupKind;

use crate::{App, Error};

/// Longest group name, in characters.
const MAX_NAME: usize = 100;
/// Longest description, in characters.
const MAX_DESCRIPTION: usize = 5_000;

/// Every group with the usernames of its members.
pub async fn list(app: &App) -> Result<Vec<(Group, Vec<String>)>, Error> {
    app.read(|conn| {
        groups::list(conn)?
            .into_iter()
            .map(|g| {
                let names = groups::member_names(conn, g.id)?;
                Ok((g, names))
            })
            .collect()
    })
    .await
}

/// An admin creates a group.
pub async fn create(
    app: &App,
    name: &str,
    kind: GroupKind,
    description: String,
) -> Result<Group, Error> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(Error::invalid("name", "must be 1 to 100 characters"));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(Error::invalid(
            "description",
            "must be at most 5000 characters",
        ));
    }
    app.read(move |conn| groups::create(conn, &name, kind, &description))
        .await?
        .ok_or_else(|| Error::conflict("name", "a group of that name exists"))
}

/// Checks who may change a group's members and finds the group and member.
async fn resolve(
    app: &App,
    by: &Member,
    group_id: i64,
    username: &str,
) -> Result<(i64, i64), Error> {
    if !by.is_admin && by.username != username {
        return Err(Error::Forbidden(
            "members join and leave groups themselves; admins for others".into(),
        ));
    }
    let username = username.to_owned();
    let (group, member) = app
        .read(move |conn| {
            Ok((
                groups::by_id(conn, group_id)?,
                members::by_username(conn, &username)?,
            ))
        })
        .await?;
    group.ok_or(Error::NotFound)?;
    let member = member.ok_or_else(|| Error::invalid("username", "no such member"))?;
    Ok((group_id, member.id))
}

/// Adds a member to a group (themselves, or anyone by an admin).
pub async fn add_member(
    app: &App,
    by: &Member,
    group_id: i64,
    username: &str,
) -> Result<(), Error> {
    let (group, member) = resolve(app, by, group_id, username).await?;
    app.read(move |conn| groups::add_member(conn, group, member))
        .await
}

/// Removes a member from a group.
pub async fn remove_member(
    app: &App,
    by: &Member,
    group_id: i64,
    username: &str,
) -> Result<(), Error> {
    let (group, member) = resolve(app, by, group_id, username).await?;
    if app
        .read(move |conn| groups::remove_member(conn, group, member))
        .await?
    {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
