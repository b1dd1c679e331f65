-- Identities of everyone who signs in: platform staff now, tenant members later.
create table users (
    id            uuid primary key,
    email         text not null,
    name          text not null default '',
    password_hash text not null,
    -- owner = enterprise admin; null = no platform role (a tenant user)
    platform_role text check (platform_role in ('owner', 'super_admin', 'support')),
    status        text not null default 'active' check (status in ('active', 'deactivated')),
    created_at    timestamptz not null default now(),
    last_login_at timestamptz
);
-- Emails are compared case-insensitively; one identity per address.
create unique index users_email_key on users (lower(email));

-- Append-only record of every state change and every sign-in attempt.
create table audit_events (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default now(),
    actor_id    uuid references users (id) on delete set null,
    -- what to show for the actor even after the user is gone: an email, 'cli' or 'system'
    actor_label text not null,
    action      text not null,
    target      text,
    ip          text,
    request_id  text,
    details     jsonb not null default '{}'::jsonb
);
create index audit_events_at_idx on audit_events (at desc, id desc);
create index audit_events_action_idx on audit_events (action, at desc);
create index audit_events_actor_idx on audit_events (lower(actor_label), at desc);

-- Sign-in attempts, kept for throttling (per email and per client address).
create table login_attempts (
    id        bigint generated always as identity primary key,
    at        timestamptz not null default now(),
    email     text not null,
    ip        text not null,
    succeeded boolean not null
);
create index login_attempts_email_idx on login_attempts (lower(email), at desc);
create index login_attempts_ip_idx on login_attempts (ip, at desc);

-- One-time tokens that let the first visitor create the first owner.
create table setup_tokens (
    token_hash bytea primary key,
    created_at timestamptz not null default now(),
    used_at    timestamptz
);

-- The session store's table (tower-sessions-sqlx-store's expected layout).
create schema tower_sessions;
create table tower_sessions.session (
    id          text primary key not null,
    data        bytea not null,
    expiry_date timestamptz not null
);
create index session_expiry_idx on tower_sessions.session (expiry_date);
