//! API tokens: a tenant's admins create them for programs that read the tenant's data
//! over the JSON API. A token is shown once; only its SHA-256 is stored. A `read` token's
//! tenant queries run in `READ ONLY` transactions, so PostgreSQL itself refuses its
//! writes; a `write` token may also change customers, contacts and interactions; an
//! `admin` token may also manage the tenant's people (members and invitations).

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::auth::guard::TokenScope;
use crate::auth::token;
use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::control::usage::{self, TenantUsage};

/// What every token starts with, so a leaked one is recognisable (secret scanners).
pub const PREFIX: &str = "tnt_";

/// A caller that presented a valid token.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub token_id: Uuid,
    pub tenant_id: Uuid,
    pub scope: TokenScope,
}

#[derive(Debug)]
pub struct ApiToken {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created_by: Option<String>,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

/// Checks a presented token. The lookup is by the hash of what was presented, so timing
/// says nothing about stored tokens.
#[tracing::instrument(skip_all, err(level = "debug"))]
pub async fn authenticate(db: &PgPool, presented: &str) -> sqlx::Result<Option<ApiCaller>> {
    if !presented.starts_with(PREFIX) || presented.len() > 100 {
        return Ok(None);
    }
    let hash = token::hash(presented);
    // Reads the token and, at most once a minute, records its use: an UPDATE on every
    // call would write a new row version each time.
    let row = sqlx::query!(
        r#"with t as (select id, tenant_id, scope, last_used_at from api_tokens
                      where token_hash = $1 and revoked_at is null),
                touched as (update api_tokens a set last_used_at = now() from t
                            where a.id = t.id
                              and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute')
                            returning a.id)
           select t.id as "id!", t.tenant_id as "tenant_id!", t.scope as "scope!" from t"#,
        &hash[..]
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| ApiCaller {
        token_id: r.id,
        tenant_id: r.tenant_id,
        // The column's check allows only the three; an unknown one reads only.
        scope: TokenScope::parse(&r.scope).unwrap_or(TokenScope::Read),
    }))
}

/// Counts one API call of `tenant` this month (UTC); `Err` with this month's usage when
/// the plan's allowance is used up (the call is then not counted).
pub async fn meter(db: &PgPool, tenant: Uuid) -> sqlx::Result<Result<(), TenantUsage>> {
    // One statement: the upsert only goes through while under the limit, so concurrent
    // calls can never count past it.
    let counted = sqlx::query_scalar!(
        r#"with plan as (select p.max_api_calls_per_month as lim
                           from tenants t join plans p on p.id = t.plan_id where t.id = $1)
           insert into api_usage as u (tenant_id, month, calls)
           values ($1, date_trunc('month', now() at time zone 'utc')::date, 1)
           on conflict (tenant_id, month) do update set calls = u.calls + 1
             where (select lim from plan) is null or u.calls < (select lim from plan)
           returning calls"#,
        tenant
    )
    .fetch_optional(db)
    .await?;
    if counted.is_some() {
        return Ok(Ok(()));
    }
    Ok(Err(usage::of_tenant(db, tenant).await?))
}

/// Gives back one call of this month (the call was refused after it was counted).
pub async fn unmeter(db: &PgPool, tenant: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update api_usage set calls = calls - 1
         where tenant_id = $1 and month = date_trunc('month', now() at time zone 'utc')::date and calls > 0",
        tenant
    )
    .execute(db)
    .await
    .map(|_| ())
}

/// Creates a token named `name` for `tenant`; returns the plain token, which is never
/// shown again.
pub async fn create(
    db: &PgPool,
    tenant: Uuid,
    name: &str,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<String> {
    create_scoped(db, tenant, name, TokenScope::Read, actor, origin).await
}

/// [`create`] with a scope.
pub async fn create_scoped(
    db: &PgPool,
    tenant: Uuid,
    name: &str,
    scope: TokenScope,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<String> {
    let scope = scope.as_str();
    let (secret, _) = token::generate();
    let plain = format!("{PREFIX}{secret}");
    let hash = token::hash(&plain);
    let prefix: String = plain.chars().take(PREFIX.len() + 6).collect();
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into api_tokens (id, tenant_id, name, prefix, token_hash, created_by, scope)
         values ($1, $2, $3, $4, $5, $6, $7)",
        id,
        tenant,
        name,
        prefix,
        &hash[..],
        actor.id,
        scope,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "api_token.created",
            tenant: Some(tenant),
            target: Some(name),
            origin,
            details: json!({ "tenant_id": tenant, "token_id": id, "prefix": prefix, "scope": scope }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(plain)
}

/// The tenant's tokens, newest first.
pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<ApiToken>> {
    sqlx::query_as!(
        ApiToken,
        r#"select t.id, t.name, t.scope, t.prefix, u.email as "created_by?", t.created_at, t.last_used_at, t.revoked_at
           from api_tokens t left join users u on u.id = t.created_by
           where t.tenant_id = $1 order by t.created_at desc"#,
        tenant
    )
    .fetch_all(db)
    .await
}

/// Revokes one of `tenant`'s tokens; false when it is not theirs or already revoked.
pub async fn revoke(
    db: &PgPool,
    tenant: Uuid,
    id: Uuid,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let name = sqlx::query_scalar!(
        "update api_tokens set revoked_at = now()
          where id = $1 and tenant_id = $2 and revoked_at is null returning name",
        id,
        tenant
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(name) = name else { return Ok(false) };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "api_token.revoked",
            tenant: Some(tenant),
            target: Some(&name),
            origin,
            details: json!({ "tenant_id": tenant, "token_id": id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
