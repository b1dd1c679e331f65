-- A tenant's export is built by a durable job: the worker writes the archive into the
-- backup store (sealed with the master key) and the single-use link downloads it once
-- it is ready. The job names its export in `detail` (`export_id`).
alter table tenant_exports
    add column status     text not null default 'ready'
                          check (status in ('queued', 'ready', 'failed', 'gone')),
    add column object_key text,
    add column size_bytes bigint,
    add column error      text,
    add column ready_at   timestamptz;

alter table provisioning_jobs drop constraint provisioning_jobs_kind_check;
alter table provisioning_jobs add constraint provisioning_jobs_kind_check
    check (kind in ('provision', 'purge', 'backup', 'restore', 'move', 'export'));
