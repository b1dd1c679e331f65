//! Custom domains of tenants: added by owners, shown with the DNS records to create, and
//! resolved only once marked verified.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::control::audit::{self, Actor, NewEvent, Origin};
use crate::pg::constraint::OnConstraint;

/// A tenant's custom domain.
pub struct Domain {
    pub domain: String,
    pub verification_token: String,
    pub verified: bool,
}

pub async fn list(db: &PgPool, tenant: Uuid) -> sqlx::Result<Vec<Domain>> {
    sqlx::query_as!(
        Domain,
        r#"select domain, verification_token, verified_at is not null as "verified!" from tenant_domains
           where tenant_id = $1 order by domain"#,
        tenant
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("Enter a domain such as app.example.com (letters, digits, hyphens and dots).")]
    Invalid,
    #[error("This domain is already in use.")]
    Taken,
    #[error("That domain belongs to the platform itself.")]
    Reserved,
    #[error("{0}")]
    Db(#[from] sqlx::Error),
}

/// Adds an unverified domain; its TXT token proves ownership before it is marked verified.
/// The platform's own host names, which no tenant may claim.
pub struct PlatformHosts<'a> {
    pub base_domain: &'a str,
    pub admin_host: &'a str,
}

pub async fn add_domain(
    db: &PgPool,
    (tenant, slug): (Uuid, &str),
    domain: &str,
    hosts: PlatformHosts<'_>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), DomainError> {
    let PlatformHosts {
        base_domain,
        admin_host,
    } = hosts;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !labels_ok || domain.len() > 253 {
        return Err(DomainError::Invalid);
    }
    if domain == admin_host || domain == base_domain || domain.ends_with(&format!(".{base_domain}"))
    {
        return Err(DomainError::Reserved);
    }
    let (token, _) = crate::auth::token::generate();
    let mut tx = db.begin().await?;
    let inserted = sqlx::query!(
        "insert into tenant_domains (domain, tenant_id, verification_token) values ($1, $2, $3)",
        domain,
        tenant,
        token
    )
    .execute(&mut *tx)
    .await;
    inserted.on_constraint("tenant_domains_pkey", || DomainError::Taken)?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.domain_added",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "domain": domain }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a domain verified (owners, after checking the DNS records) or removes it.
pub async fn set_domain(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    domain: &str,
    verify: bool,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let done = if verify {
        sqlx::query!(
            "update tenant_domains set verified_at = coalesce(verified_at, now()) where domain = $1 and tenant_id = $2",
            domain,
            tenant
        )
        .execute(&mut *tx)
        .await?
    } else {
        sqlx::query!(
            "delete from tenant_domains where domain = $1 and tenant_id = $2",
            domain,
            tenant
        )
        .execute(&mut *tx)
        .await?
    };
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let action = if verify {
        "tenant.domain_verified"
    } else {
        "tenant.domain_removed"
    };
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action,
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "domain": domain }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
