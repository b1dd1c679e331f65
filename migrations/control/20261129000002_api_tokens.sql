-- API tokens of a tenant: they authenticate read-only API calls, which may name their
-- tenant with the X-Tenant-Slug header. Only the SHA-256 of a token is stored; `prefix`
-- is the first characters, shown so people can tell their tokens apart.
create table api_tokens (
    id           uuid primary key,
    tenant_id    uuid not null references tenants (id),
    name         text not null check (length(name) between 1 and 60),
    prefix       text not null,
    token_hash   bytea not null unique,
    created_by   uuid references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create index api_tokens_tenant_idx on api_tokens (tenant_id, created_at desc);
