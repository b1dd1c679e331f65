-- Platform API tokens: owners make them for programs (CI, billing) that drive the
-- platform over /api/v1 on the admin host. A token acts as one staff member — with that
-- member's role as it stands at each call — narrowed by its scope. Only the SHA-256 of a
-- token is stored; `prefix` is its first characters, shown so people can tell them apart.
create table platform_api_tokens (
    id           uuid primary key,
    user_id      uuid not null references users (id),
    name         text not null check (length(name) between 1 and 60),
    scope        text not null check (scope in ('read', 'write', 'admin')),
    prefix       text not null,
    token_hash   bytea not null unique,
    created_by   uuid references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
create index platform_api_tokens_created_idx on platform_api_tokens (created_at desc);

-- A create retried with the same Idempotency-Key gets the first answer back instead of
-- making a second resource. Keys are per caller (token); `fingerprint` is a hash of the
-- method, path and body, so the same key sent with a different request is refused. A row
-- without a status is a claim: that request is still running.
create table api_idempotency_keys (
    caller       text not null,
    key          text not null check (length(key) between 1 and 255),
    fingerprint  bytea not null,
    status       smallint,
    body         jsonb,
    location     text,
    created_at   timestamptz not null default now(),
    primary key (caller, key)
);
create index api_idempotency_keys_created_idx on api_idempotency_keys (created_at);
