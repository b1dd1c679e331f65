-- Plans: what a tenant may use, and how it is served by default.
create table plans (
    id                      text primary key check (id ~ '^[a-z][a-z0-9_]{1,30}$'),
    name                    text not null,
    -- null = unlimited
    max_users               integer check (max_users > 0),
    max_storage_bytes       bigint check (max_storage_bytes > 0),
    max_api_calls_per_month bigint check (max_api_calls_per_month > 0),
    max_modules             integer check (max_modules >= 0),
    default_tier            text not null check (default_tier in ('isolated', 'pooled')),
    -- maximum connections of the tenant's pool
    pool_size               integer not null check (pool_size between 1 and 50),
    sort_order              integer not null default 0,
    updated_at              timestamptz not null default now()
);
insert into plans (id, name, max_users, max_storage_bytes, max_api_calls_per_month, max_modules, default_tier, pool_size, sort_order) values
    ('free',       'Free',       3,    104857600,    10000,    1,    'pooled',   2,  1),
    ('starter',    'Starter',    10,   1073741824,   100000,   2,    'pooled',   3,  2),
    ('pro',        'Pro',        50,   10737418240,  1000000,  4,    'isolated', 5,  3),
    ('enterprise', 'Enterprise', null, null,         null,     null, 'isolated', 10, 4);

-- PostgreSQL servers that host tenant databases and pooled schemas.
create table db_servers (
    id            uuid primary key,
    name          text not null unique,
    -- superuser-or-CREATEDB+CREATEROLE DSN, AES-256-GCM with the master key (nonce ‖ ciphertext)
    admin_dsn_enc bytea not null,
    -- host:port only, for display
    address       text not null,
    -- most tenants placed here
    capacity      integer not null check (capacity > 0),
    status        text not null default 'active' check (status in ('active', 'draining')),
    -- the server behind the control plane (embedded cluster or DATABASE_URL), registered at start
    is_primary    boolean not null default false,
    created_at    timestamptz not null default now()
);
create unique index db_servers_one_primary on db_servers (is_primary) where is_primary;

create table tenants (
    id                uuid primary key,
    slug              text not null check (slug ~ '^[a-z][a-z0-9-]{1,38}[a-z0-9]$'),
    name              text not null check (length(name) between 1 and 200),
    status            text not null default 'pending'
                      check (status in ('pending', 'provisioning', 'active', 'suspended', 'deleted', 'purged')),
    plan_id           text not null references plans (id),
    tier              text not null check (tier in ('isolated', 'pooled')),
    db_server_id      uuid not null references db_servers (id),
    -- isolated: tenant_<slug>; pooled: tenants_pooled_<n>
    database_name     text not null,
    -- pooled only: t_<slug>
    schema_name       text,
    role_name         text not null,
    -- AES-256-GCM with the master key; null until the role exists
    role_password_enc bytea,
    -- highest tenant migration applied (base and enabled modules)
    schema_version    bigint not null default 0,
    -- the provisioning step reached, for the progress bar
    progress_step     text,
    last_error        text,
    created_at        timestamptz not null default now(),
    activated_at      timestamptz,
    suspended_at      timestamptz,
    deleted_at        timestamptz,
    purged_at         timestamptz,
    updated_at        timestamptz not null default now()
);
-- Slugs are unique across every tenant not yet purged, whatever their case.
create unique index tenants_slug_key on tenants (lower(slug)) where status <> 'purged';
create index tenants_status_idx on tenants (status, created_at desc);
create index tenants_server_idx on tenants (db_server_id) where status <> 'purged';

-- Durable work for the provisioning worker (FOR UPDATE SKIP LOCKED).
create table provisioning_jobs (
    id          bigint generated always as identity primary key,
    tenant_id   uuid not null references tenants (id),
    kind        text not null check (kind in ('provision', 'purge')),
    status      text not null default 'queued' check (status in ('queued', 'done', 'failed')),
    attempts    integer not null default 0,
    last_error  text,
    created_at  timestamptz not null default now(),
    finished_at timestamptz
);
create index provisioning_jobs_queued_idx on provisioning_jobs (id) where status = 'queued';

-- Modules a tenant has enabled; their migrations run in the tenant's database.
create table tenant_modules (
    tenant_id  uuid not null references tenants (id),
    module     text not null check (module ~ '^[a-z][a-z0-9_]{1,30}$'),
    enabled_at timestamptz not null default now(),
    primary key (tenant_id, module)
);

-- Tenants a super admin manages (assigned directly; segments come later).
create table staff_assignments (
    user_id    uuid not null references users (id) on delete cascade,
    tenant_id  uuid not null references tenants (id),
    created_at timestamptz not null default now(),
    primary key (user_id, tenant_id)
);
create index staff_assignments_tenant_idx on staff_assignments (tenant_id);
