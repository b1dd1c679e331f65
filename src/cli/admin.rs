//! `tenantry admin create --email E`: create an owner from the shell, password on stdin.

use std::io::Read;

use anyhow::{Context, bail};
use validator::ValidateEmail;

use crate::auth::password;
use crate::config::DbArgs;
use crate::control::audit::{Actor, Origin};
use crate::control::users::{self, NewOwner, OwnerGrant};
use crate::pg::control_db::ControlDb;

pub async fn create(email: &str, name: &str, db_args: &DbArgs) -> anyhow::Result<()> {
    let email = email.trim();
    if email.len() > 254 || !email.validate_email() {
        bail!("{email:?} is not a valid email address");
    }
    if name.len() > 200 || name.chars().any(char::is_control) {
        bail!("the name must be one line of at most 200 characters");
    }
    let password = read_password()?;
    if let Err(e) = password::check_strength(&password) {
        bail!(
            "password refused: {}",
            e.message.as_deref().unwrap_or("too weak")
        );
    }

    let db = ControlDb::open(db_args).await?;
    let new = NewOwner {
        email,
        name: name.trim(),
        password_hash: password::hash(password).await?,
    };
    let created = users::create_owner(
        &db.pool,
        new,
        OwnerGrant::Shell,
        &Actor::cli(),
        &Origin::default(),
    )
    .await;
    db.close().await;
    let user = created?;
    println!("Created enterprise admin {} ({})", user.email, user.id);
    Ok(())
}

/// The password is the whole of stdin minus one trailing newline, so `echo`, a here-doc
/// and a pipe from a secrets manager all work and it never appears in `ps`.
fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .context("could not read the password from standard input")?;
    let trimmed = input.strip_suffix('\n').unwrap_or(&input);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(trimmed.to_owned())
}
