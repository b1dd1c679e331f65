-- Single-use, short-lived tokens that take staff from the platform console to a tenant's
-- host without sharing cookies across hosts. Only the SHA-256 is stored.
create table handoff_tokens (
    token_hash bytea primary key,
    user_id    uuid not null references users (id) on delete cascade,
    tenant_id  uuid not null references tenants (id),
    reason     text not null check (length(reason) between 3 and 500),
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);
