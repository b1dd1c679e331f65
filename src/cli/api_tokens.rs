//! `tenantry api-tokens create`: a platform API token for scripts and CI, printed alone
//! on standard output.

use anyhow::{Context, bail};

use crate::auth::guard::TokenScope;
use crate::config::ApiTokensCommand;
use crate::control::audit::{Actor, Origin};
use crate::control::platform_tokens::{self, NewToken, TokenError};
use crate::control::users;
use crate::pg::control_db::ControlDb;

pub async fn run(command: ApiTokensCommand) -> anyhow::Result<()> {
    crate::telemetry::init_logging("warn", false);
    let ApiTokensCommand::Create {
        name,
        scope,
        expires_days,
        user,
        db,
    } = command;
    let Some(scope) = TokenScope::parse(scope.trim()) else {
        bail!("--scope: choose read, write or admin");
    };
    let control = ControlDb::open(&db).await?;
    let result = create(&control.pool, &name, scope, expires_days, user.as_deref()).await;
    control.close().await;
    let token = result?;
    println!("{token}");
    Ok(())
}

async fn create(
    db: &sqlx::PgPool,
    name: &str,
    scope: TokenScope,
    expires_days: Option<u32>,
    user: Option<&str>,
) -> anyhow::Result<String> {
    let user = match user {
        Some(email) => users::find_active_by_email(db, email)
            .await?
            .filter(|u| u.platform_role.is_some())
            .map(|u| u.id)
            .with_context(|| format!("--user: {email} is not an active staff member"))?,
        None => platform_tokens::default_owner(db)
            .await?
            .context("there is no active owner to act as: create one with `tenantry admin create`, or name one with --user")?,
    };
    let new = NewToken {
        name,
        scope,
        user,
        expires_days,
    };
    platform_tokens::create(db, &new, &Actor::cli(), &Origin::default())
        .await
        .map_err(|e| match e {
            TokenError::Db(e) => e.into(),
            e @ TokenError::Name => anyhow::anyhow!("--name: {e}"),
            e @ TokenError::Days => anyhow::anyhow!("--expires-days: {e}"),
            e @ TokenError::NotStaff => anyhow::anyhow!("--user: {e}"),
        })
}
