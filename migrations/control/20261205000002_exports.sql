-- Single-use, expiring download links of a tenant's export (only the token's SHA-256).
create table tenant_exports (
    id         uuid primary key,
    tenant_id  uuid not null references tenants (id),
    token_hash bytea not null unique,
    created_by uuid references users (id) on delete set null,
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);
create index tenant_exports_tenant_idx on tenant_exports (tenant_id);
