-- Custom roles of a tenant: a name and a permission level per module.
create table tenant_roles (
    id          uuid primary key,
    tenant_id   uuid not null references tenants (id),
    name        text not null check (length(name) between 1 and 60),
    -- {"crm": "write", "tasks": "read"}: module id → read | write | admin; a module not
    -- named is not visible to the role
    permissions jsonb not null default '{}'::jsonb check (jsonb_typeof(permissions) = 'object'),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create unique index tenant_roles_name_key on tenant_roles (tenant_id, lower(name));

-- A membership is admin, member, or a custom role of the same tenant.
alter table memberships drop constraint memberships_role_check;
alter table memberships add column role_id uuid references tenant_roles (id);
alter table memberships add constraint memberships_role_check
    check (role in ('admin', 'member', 'custom') and ((role = 'custom') = (role_id is not null)));
create index memberships_role_idx on memberships (role_id) where role_id is not null;

-- Invitations to a tenant (tenant_id set) or to the platform staff (tenant_id null).
-- Only the SHA-256 of the 256-bit token is stored; resending replaces it.
create table invitations (
    id          uuid primary key,
    tenant_id   uuid references tenants (id),
    email       text not null check (length(email) <= 254),
    role        text not null,
    role_id     uuid references tenant_roles (id) on delete cascade,
    token_hash  bytea not null unique,
    status      text not null default 'pending'
                check (status in ('pending', 'accepted', 'expired', 'revoked')),
    invited_by  uuid references users (id) on delete set null,
    expires_at  timestamptz not null,
    accepted_by uuid references users (id) on delete set null,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check (
        (tenant_id is null and role in ('super_admin', 'support') and role_id is null)
        or (tenant_id is not null and role in ('admin', 'member', 'custom')
            and ((role = 'custom') = (role_id is not null)))
    )
);
-- At most one open invitation per address and scope.
create unique index invitations_pending_key
    on invitations (coalesce(tenant_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(email))
    where status = 'pending';
create index invitations_tenant_idx on invitations (tenant_id, created_at desc);

-- Mail waiting to be sent, written in the same transaction as what it announces.
create table outbox (
    id              uuid primary key,
    -- invitation | password_reset | notice
    kind            text not null,
    -- held until this tenant is active (a first admin's invitation waits for provisioning)
    tenant_id       uuid references tenants (id),
    recipient       text not null,
    subject         text not null,
    body_text       text not null,
    body_html       text not null,
    -- the link the message carries, logged once when no SMTP server is configured
    link            text,
    status          text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error      text,
    link_logged_at  timestamptz,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz
);
create index outbox_due_idx on outbox (next_attempt_at) where status = 'pending';
create index outbox_created_idx on outbox (created_at desc);

-- Password reset tokens: single use, short-lived, only the SHA-256 stored.
create table password_resets (
    token_hash bytea primary key,
    user_id    uuid not null references users (id) on delete cascade,
    expires_at timestamptz not null,
    used_at    timestamptz,
    created_at timestamptz not null default now()
);
create index password_resets_user_idx on password_resets (user_id);

-- Onboarding: when the tenant's profile was first saved by its people.
alter table tenants add column profile_completed_at timestamptz;
