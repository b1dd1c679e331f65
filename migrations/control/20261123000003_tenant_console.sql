-- Who belongs to which tenant, and as what.
create table memberships (
    user_id    uuid not null references users (id) on delete cascade,
    tenant_id  uuid not null references tenants (id),
    -- 'admin' or 'member' (custom roles come with their own table)
    role       text not null check (role in ('admin', 'member')),
    created_at timestamptz not null default now(),
    primary key (user_id, tenant_id)
);
create index memberships_tenant_idx on memberships (tenant_id);

-- Custom domains that resolve to a tenant once verified.
create table tenant_domains (
    domain      text primary key check (domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' and length(domain) <= 253),
    tenant_id   uuid not null references tenants (id),
    -- the TXT record value that proves ownership
    verification_token text not null,
    verified_at timestamptz,
    created_at  timestamptz not null default now()
);
create index tenant_domains_tenant_idx on tenant_domains (tenant_id);
