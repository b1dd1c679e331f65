-- Moves of a tenant to another database server and/or tier: a durable job in the
-- provisioning job table (its plan and progress in `detail`), and the copies a move
-- leaves behind, kept for a grace period before they are dropped.
alter table provisioning_jobs drop constraint provisioning_jobs_kind_check;
alter table provisioning_jobs add constraint provisioning_jobs_kind_check
    check (kind in ('provision', 'purge', 'backup', 'restore', 'move'));

create table tenant_old_copies (
    id            bigint generated always as identity primary key,
    tenant_id     uuid not null references tenants (id),
    -- the move that left it
    job_id        bigint not null references provisioning_jobs (id),
    db_server_id  uuid not null references db_servers (id),
    tier          text not null check (tier in ('isolated', 'pooled')),
    database_name text not null,
    -- pooled only: the schema in the shared database
    schema_name   text,
    role_name     text not null,
    drop_after    timestamptz not null,
    dropped_at    timestamptz,
    created_at    timestamptz not null default now(),
    unique (job_id)
);
create index tenant_old_copies_due_idx on tenant_old_copies (drop_after) where dropped_at is null;
