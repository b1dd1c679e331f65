//! Which tenant a request is for. Strategies run in a configurable order: the host (a
//! subdomain of `TENANTRY_BASE_DOMAIN` or a verified custom domain), the `X-Tenant-Slug`
//! header (API calls with a token only), the path `/t/<slug>/…`, and `?tenant=` (only
//! with `TENANTRY_DEV=1`). Lookups are cached (moka, short TTL, dropped on every tenant
//! change); unknown names are cached negatively for a few seconds, so probing slugs
//! costs the database little and reveals nothing.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::cache::{Fresh, Freshness};
use crate::tenancy::slug::Slug;
use crate::tenancy::status::TenantStatus;

/// A tenant as request handling needs it.
#[derive(Clone, Debug)]
pub struct ResolvedTenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub plan_id: String,
    /// A failed fleet migration holds it back: its requests get a 503.
    pub quarantined: bool,
}

/// How a tenant was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Host,
    Header,
    Path,
    Query,
}

impl Strategy {
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p {
                "host" => Ok(Self::Host),
                "header" => Ok(Self::Header),
                "path" => Ok(Self::Path),
                "query" => Ok(Self::Query),
                other => Err(format!(
                    "unknown resolution strategy {other:?} (use host, header, path, query)"
                )),
            })
            .collect()
    }
}

/// What a request carries that resolution looks at.
pub struct Request<'a> {
    pub host: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub header_slug: Option<&'a str>,
    /// Whether the request authenticated with an API token (the header strategy needs it).
    pub api_token: bool,
}

#[derive(Clone)]
pub struct Resolver {
    db: PgPool,
    base_domain: String,
    dev: bool,
    order: Arc<Vec<Strategy>>,
    /// Lookups by `s:<slug>` and `d:<domain>`; `None` is an unknown tenant, kept briefly.
    found: Fresh<String, Option<Arc<ResolvedTenant>>>,
}

impl Resolver {
    pub fn new(
        db: PgPool,
        freshness: &Freshness,
        base_domain: &str,
        dev: bool,
        order: Vec<Strategy>,
    ) -> Self {
        Self {
            db,
            base_domain: base_domain.trim_start_matches('.').to_ascii_lowercase(),
            dev,
            order: Arc::new(order),
            // A new tenant announces itself too, so unknown slugs can be kept as long.
            found: Fresh::new(freshness, 100_000, Duration::from_secs(300)),
        }
    }

    /// Drops cached entries whenever a tenant changes (status, plan, domains…).
    pub fn follow_changes(
        &self,
        mut changes: broadcast::Receiver<Uuid>,
    ) -> tokio::task::JoinHandle<()> {
        let found = self.found.clone();
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    // A change is rare; dropping everything keeps the rule simple and safe.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => found.clear(),
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// The slug a host names, if it is `<slug>.<base domain>`.
    pub fn slug_from_host<'h>(&self, host: &'h str) -> Option<&'h str> {
        let label = host
            .strip_suffix(self.base_domain.as_str())?
            .strip_suffix('.')?;
        (!label.contains('.')).then_some(label)
    }

    /// The tenant and the path to route (with `/t/<slug>` removed when the path named it).
    pub async fn resolve(
        &self,
        req: &Request<'_>,
    ) -> sqlx::Result<Option<(Arc<ResolvedTenant>, Strategy, Option<String>)>> {
        for strategy in self.order.iter() {
            let found = match strategy {
                Strategy::Host => match self.slug_from_host(req.host) {
                    Some(slug) => self.by_slug(slug).await?,
                    None => self.by_domain(req.host).await?,
                },
                Strategy::Header if req.api_token => match req.header_slug {
                    Some(slug) => self.by_slug(slug).await?,
                    None => None,
                },
                Strategy::Header => None,
                Strategy::Path => match split_tenant_path(req.path) {
                    Some((slug, rest)) => {
                        if let Some(t) = self.by_slug(slug).await? {
                            return Ok(Some((t, Strategy::Path, Some(rest.to_owned()))));
                        }
                        None
                    }
                    None => None,
                },
                Strategy::Query if self.dev => match query_slug(req.query) {
                    Some(slug) => self.by_slug(&slug).await?,
                    None => None,
                },
                Strategy::Query => None,
            };
            if let Some(t) = found {
                return Ok(Some((t, *strategy, None)));
            }
        }
        Ok(None)
    }

    /// A tenant by slug; invalid slugs never reach the database.
    pub async fn by_slug(&self, slug: &str) -> sqlx::Result<Option<Arc<ResolvedTenant>>> {
        let Ok(slug) = Slug::parse(slug) else {
            return Ok(None);
        };
        let key = format!("s:{slug}");
        self.cached(key, async {
            sqlx::query_as!(
                ResolvedTenant,
                r#"select id, slug, name, status as "status: _", plan_id, quarantined_at is not null as "quarantined!"
                   from tenants where slug = $1 and status <> 'purged'"#,
                slug.as_str()
            )
            .fetch_optional(&self.db)
            .await
        })
        .await
    }

    async fn by_domain(&self, host: &str) -> sqlx::Result<Option<Arc<ResolvedTenant>>> {
        if host.is_empty() || !host.contains('.') {
            return Ok(None);
        }
        let key = format!("d:{host}");
        self.cached(key, async {
            sqlx::query_as!(
                ResolvedTenant,
                r#"select t.id, t.slug, t.name, t.status as "status: _", t.plan_id, t.quarantined_at is not null as "quarantined!"
                 from tenant_domains d
                 join tenants t on t.id = d.tenant_id
                 where d.domain = $1 and d.verified_at is not null and t.status <> 'purged'"#,
                host
            )
            .fetch_optional(&self.db)
            .await
        })
        .await
    }

    async fn cached(
        &self,
        key: String,
        load: impl Future<Output = sqlx::Result<Option<ResolvedTenant>>>,
    ) -> sqlx::Result<Option<Arc<ResolvedTenant>>> {
        self.found
            .get_or_load(key, async { Ok(load.await?.map(Arc::new)) })
            .await
    }
}

/// `/t/<slug>/rest` → (`slug`, `/rest`).
pub fn split_tenant_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/t/")?;
    let (slug, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    (!slug.is_empty()).then_some((slug, tail))
}

fn query_slug(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k == "tenant")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_and_query_forms() {
        assert_eq!(
            split_tenant_path("/t/acme/customers?x"),
            Some(("acme", "/customers?x"))
        );
        assert_eq!(split_tenant_path("/t/acme"), Some(("acme", "/")));
        assert_eq!(split_tenant_path("/tenants"), None);
        assert_eq!(query_slug(Some("a=1&tenant=acme")), Some("acme".into()));
        assert!(Strategy::parse_list("host, path").is_ok());
        assert!(Strategy::parse_list("host,cookie").is_err());
    }
}
