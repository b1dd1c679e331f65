//! Custom roles of a tenant: a name and a permission level per module. A member with a
//! custom role sees only the modules the role names, at the level it names; the access
//! guard reads the role on every request, so an edit takes effect at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint;

/// How far someone may go in a module. Ordered: `Admin` includes `Write` includes `Read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// See the module's pages.
    Read,
    /// Also create, edit and delete its records.
    Write,
    /// Also the module's own settings, where it has any.
    Admin,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Read, Level::Write, Level::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// Module id → level. Built only from form input checked against the catalog, or from
/// what was stored that way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Permissions(BTreeMap<String, Level>);

impl Permissions {
    /// The level granted in `module`; `None` = the module is hidden.
    pub fn get(&self, module: &str) -> Option<Level> {
        self.0.get(module).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Level)> {
        self.0.iter().map(|(m, l)| (m.as_str(), *l))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Reads the role form: one `perm.<module>` field per catalog module, valued `none`
    /// (or empty), `read`, `write` or `admin`; other fields are not ours and are skipped.
    pub fn parse<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
        catalog: &[&str],
    ) -> Result<Self, RoleError> {
        let mut levels = BTreeMap::new();
        for (key, value) in fields {
            let Some(module) = key.strip_prefix("perm.") else {
                continue;
            };
            let Some(id) = catalog.iter().find(|id| **id == module) else {
                return Err(RoleError::UnknownModule(module.chars().take(40).collect()));
            };
            match value.trim() {
                "" | "none" => {
                    levels.remove(*id);
                }
                v => {
                    let level = Level::parse(v).ok_or_else(|| RoleError::UnknownLevel {
                        module: (*id).to_owned(),
                        value: v.chars().take(20).collect(),
                    })?;
                    levels.insert((*id).to_owned(), level);
                }
            }
        }
        Ok(Self(levels))
    }

    /// From the stored `jsonb`; anything that is not a known level grants nothing.
    pub fn from_json(value: &serde_json::Value) -> Self {
        let levels = value
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(m, l)| Some((m.clone(), Level::parse(l.as_str()?)?)))
                    .collect()
            })
            .unwrap_or_default();
        Self(levels)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(m, l)| (m.clone(), json!(l.as_str())))
                .collect(),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("Give the role a name.")]
    NameEmpty,
    #[error("A role name has at most 60 characters.")]
    NameTooLong,
    #[error("A role name is one line of plain text.")]
    NameControl,
    #[error("There is already a role called “{0}” (names are compared ignoring case).")]
    Duplicate(String),
    #[error("There is no module “{0}”.")]
    UnknownModule(String),
    #[error("“{value}” is not a permission level for {module}: choose none, read, write or admin.")]
    UnknownLevel { module: String, value: String },
    #[error("That role does not exist here.")]
    NotFound,
    #[error("“{name}” is still given to {}: give them another role first.", in_use(*.members, *.invitations))]
    InUse {
        name: String,
        members: i64,
        invitations: i64,
    },
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

fn in_use(members: i64, invitations: i64) -> String {
    let count = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (members, invitations) {
        (m, 0) => count(m, "member", "members"),
        (0, i) => count(i, "pending invitation", "pending invitations"),
        (m, i) => format!(
            "{} and {}",
            count(m, "member", "members"),
            count(i, "pending invitation", "pending invitations")
        ),
    }
}

/// Trims a typed name and checks it fits: 1–60 characters on one line.
fn clean_name(name: &str) -> Result<&str, RoleError> {
    let name = name.trim();
    if name.is_empty() {
        Err(RoleError::NameEmpty)
    } else if name.chars().count() > 60 {
        Err(RoleError::NameTooLong)
    } else if name.chars().any(char::is_control) {
        Err(RoleError::NameControl)
    } else {
        Ok(name)
    }
}

/// The unique index on `(tenant_id, lower(name))` is the one judge of duplicates.
fn duplicate(e: sqlx::Error, name: &str) -> RoleError {
    constraint::map(e, "tenant_roles_name_key", || {
        RoleError::Duplicate(name.to_owned())
    })
}

/// A custom role.
#[derive(Clone, Debug)]
pub struct Role {
    pub id: Uuid,
    pub name: String,
    pub permissions: Permissions,
}

/// A role as the Roles page lists it: who still holds it.
pub struct Listed {
    pub role: Role,
    pub members: i64,
    /// Pending, unexpired invitations that grant it.
    pub invitations: i64,
}

/// The tenant's custom roles by name.
pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<Listed>> {
    let rows = sqlx::query!(
        r#"select r.id, r.name, r.permissions,
                  (select count(*) from memberships m where m.role_id = r.id) as "members!",
                  (select count(*) from invitations i
                   where i.role_id = r.id and i.status = 'pending' and i.expires_at > now()) as "invitations!"
           from tenant_roles r where r.tenant_id = $1
           order by lower(r.name), r.id"#,
        tenant
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Listed {
            role: Role {
                id: r.id,
                name: r.name,
                permissions: Permissions::from_json(&r.permissions),
            },
            members: r.members,
            invitations: r.invitations,
        })
        .collect())
}

/// One role of this tenant (another tenant's role is not found).
pub async fn get(db: &PgPool, tenant: Uuid, id: Uuid) -> sqlx::Result<Option<Role>> {
    let row = sqlx::query!(
        "select id, name, permissions from tenant_roles where id = $1 and tenant_id = $2",
        id,
        tenant
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Role {
        id: r.id,
        name: r.name,
        permissions: Permissions::from_json(&r.permissions),
    }))
}

/// Creates a role. `slug` names the tenant in the audit log (the tenant's own log shows
/// events whose target is its slug).
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn create(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    name: &str,
    permissions: &Permissions,
    actor: &Actor,
    origin: &Origin,
) -> Result<Uuid, RoleError> {
    let name = clean_name(name)?;
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into tenant_roles (id, tenant_id, name, permissions) values ($1, $2, $3, $4)",
        id,
        tenant,
        name,
        permissions.to_json()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| duplicate(e, name))?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "role.created",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "tenant_id": tenant, "role_id": id, "name": name,
                             "permissions": permissions.to_json() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a role and replaces its permissions; members holding it get them at once.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn update(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    id: Uuid,
    name: &str,
    permissions: &Permissions,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), RoleError> {
    let name = clean_name(name)?;
    let mut tx = db.begin().await?;
    let before = sqlx::query!(
        "select name, permissions from tenant_roles where id = $1 and tenant_id = $2 for update",
        id,
        tenant
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(RoleError::NotFound)?;
    sqlx::query!(
        "update tenant_roles set name = $3, permissions = $4, updated_at = now()
         where id = $1 and tenant_id = $2",
        id,
        tenant,
        name,
        permissions.to_json()
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| duplicate(e, name))?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "role.updated",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "tenant_id": tenant, "role_id": id, "name": name,
                             "permissions": permissions.to_json(),
                             "before": { "name": before.name, "permissions": before.permissions } }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a role nobody holds: refused while members or pending invitations use it.
/// (Closed invitations that named it go with it.)
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn delete(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    id: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> Result<String, RoleError> {
    let mut tx = db.begin().await?;
    // The row lock makes a concurrent invitation or role change (whose foreign key
    // check needs a share lock on it) wait, so the counts below stay true.
    let name = sqlx::query_scalar!(
        "select name from tenant_roles where id = $1 and tenant_id = $2 for update",
        id,
        tenant
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(RoleError::NotFound)?;
    let used = sqlx::query!(
        r#"select (select count(*) from memberships where role_id = $1) as "members!",
                  (select count(*) from invitations
                   where role_id = $1 and status = 'pending' and expires_at > now()) as "invitations!""#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if used.members > 0 || used.invitations > 0 {
        return Err(RoleError::InUse {
            name,
            members: used.members,
            invitations: used.invitations,
        });
    }
    sqlx::query!(
        "delete from tenant_roles where id = $1 and tenant_id = $2",
        id,
        tenant
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "role.deleted",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "tenant_id": tenant, "role_id": id, "name": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &[&str] = &["crm", "tasks"];

    #[test]
    fn levels_are_ordered() {
        assert!(Level::Read < Level::Write && Level::Write < Level::Admin);
        assert_eq!(Level::parse("write"), Some(Level::Write));
        assert_eq!(Level::parse("Write"), None);
    }

    #[test]
    fn the_form_names_catalog_modules_and_known_levels() {
        let p = Permissions::parse(
            [
                ("name", "Sales"),
                ("perm.crm", "write"),
                ("perm.tasks", "none"),
                ("csrf_token", "x"),
            ],
            CATALOG,
        )
        .unwrap();
        assert_eq!(p.get("crm"), Some(Level::Write));
        assert_eq!(p.get("tasks"), None);
        assert_eq!(p.to_json(), json!({ "crm": "write" }));
        assert_eq!(Permissions::from_json(&p.to_json()), p);
        assert!(matches!(
            Permissions::parse([("perm.teleport", "read")], CATALOG),
            Err(RoleError::UnknownModule(m)) if m == "teleport"
        ));
        assert!(matches!(
            Permissions::parse([("perm.crm", "root")], CATALOG),
            Err(RoleError::UnknownLevel { .. })
        ));
    }

    #[test]
    fn stored_junk_grants_nothing() {
        let p = Permissions::from_json(&json!({ "crm": "owner", "tasks": 3, "x": "read" }));
        assert_eq!(p.iter().collect::<Vec<_>>(), vec![("x", Level::Read)]);
        assert!(Permissions::from_json(&json!([1, 2])).is_empty());
    }

    #[test]
    fn names_are_one_short_line() {
        assert_eq!(clean_name("  Sales ").unwrap(), "Sales");
        assert!(matches!(clean_name(" "), Err(RoleError::NameEmpty)));
        assert!(matches!(
            clean_name(&"x".repeat(61)),
            Err(RoleError::NameTooLong)
        ));
        assert!(matches!(clean_name("a\nb"), Err(RoleError::NameControl)));
    }

    #[test]
    fn in_use_counts_read_well() {
        let e = RoleError::InUse {
            name: "Sales".into(),
            members: 2,
            invitations: 1,
        };
        assert_eq!(
            e.to_string(),
            "“Sales” is still given to 2 members and 1 pending invitation: give them another role first."
        );
    }
}
