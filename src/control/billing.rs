//! Billing details a tenant keeps on file (the Billing module requires them).

use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;
use validator::Validate;

use crate::control::audit::{self, Actor, NewEvent, Origin};

#[derive(Clone, Debug, Default, Deserialize, Validate)]
pub struct BillingDetails {
    #[serde(default)]
    #[validate(
        length(
            min = 1,
            max = 200,
            message = "Enter the company to bill (at most 200 characters)."
        ),
        custom(function = "crate::rules::one_line")
    )]
    pub company: String,
    #[serde(default)]
    #[validate(length(
        min = 1,
        max = 1000,
        message = "Enter the billing address (at most 1000 characters)."
    ))]
    pub address: String,
    #[serde(default)]
    #[validate(
        length(max = 40, message = "A VAT id has at most 40 characters."),
        custom(function = "crate::rules::one_line")
    )]
    pub vat_id: String,
}

pub async fn get(db: &PgPool, tenant: Uuid) -> sqlx::Result<Option<BillingDetails>> {
    sqlx::query_as!(
        BillingDetails,
        r#"select company, address, coalesce(vat_id, '') as "vat_id!" from tenant_billing where tenant_id = $1"#,
        tenant
    )
    .fetch_optional(db)
    .await
}

/// Saves validated details, audited in the same transaction.
pub async fn save(
    db: &PgPool,
    tenant: Uuid,
    slug: &str,
    d: &BillingDetails,
    actor: &Actor,
    origin: &Origin,
) -> sqlx::Result<()> {
    let vat = Some(d.vat_id.trim()).filter(|v| !v.is_empty());
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into tenant_billing (tenant_id, company, address, vat_id) values ($1, $2, $3, $4)
         on conflict (tenant_id) do update
         set company = excluded.company, address = excluded.address, vat_id = excluded.vat_id, updated_at = now()",
        tenant,
        d.company.trim(),
        d.address.trim(),
        vat
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        NewEvent {
            actor,
            action: "tenant.billing_updated",
            tenant: Some(tenant),
            target: Some(slug),
            origin,
            details: json!({ "tenant_id": tenant }),
        },
    )
    .await?;
    tx.commit().await
}
