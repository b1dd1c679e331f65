-- Backups of one tenant (pg_dump custom format, sealed with the master key, kept in the
-- backup store) and the jobs that take and restore them, in the provisioning job table.
create table tenant_backups (
    id             uuid primary key,
    tenant_id      uuid not null references tenants (id),
    status         text not null default 'queued'
                   check (status in ('queued', 'running', 'done', 'failed', 'purged')),
    step           text,
    -- What the dump holds, so a restore can check it fits before changing anything.
    tier           text not null check (tier in ('isolated', 'pooled')),
    schema_name    text,
    schema_version bigint not null,
    modules        text[] not null default '{}',
    object_key     text not null,
    size_bytes     bigint,
    sha256         text,
    error          text,
    requested_by   text not null,
    created_at     timestamptz not null default now(),
    finished_at    timestamptz
);
create index tenant_backups_tenant_idx on tenant_backups (tenant_id, created_at desc);

alter table provisioning_jobs drop constraint provisioning_jobs_kind_check;
alter table provisioning_jobs add constraint provisioning_jobs_kind_check
    check (kind in ('provision', 'purge', 'backup', 'restore'));
alter table provisioning_jobs add column backup_id uuid references tenant_backups (id);
-- A restore records the status to return the tenant to, and the step it reached.
alter table provisioning_jobs add column detail jsonb not null default '{}';
alter table provisioning_jobs add constraint provisioning_jobs_backup_check
    check ((kind in ('backup', 'restore')) = (backup_id is not null));
create index provisioning_jobs_backup_idx on provisioning_jobs (backup_id) where backup_id is not null;
