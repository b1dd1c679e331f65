-- Scheduled backups per plan: a tenant on a plan with `backup_every_hours` gets a backup
-- when its latest is older than that (null: only backups someone asks for), and its
-- backups older than `backup_keep_days` are removed from the store (the newest good one
-- always stays). The row of a removed backup stays, marked `expired`, as a record.
alter table plans
    add column backup_every_hours integer check (backup_every_hours between 1 and 8760),
    add column backup_keep_days integer not null default 30
        check (backup_keep_days between 1 and 3650);
update plans set backup_every_hours = case id
        when 'starter' then 168 when 'pro' then 24 when 'enterprise' then 24 end,
    backup_keep_days = case id when 'free' then 7 when 'enterprise' then 90 else 30 end
    where id in ('free', 'starter', 'pro', 'enterprise');

alter table tenant_backups drop constraint tenant_backups_status_check;
alter table tenant_backups add constraint tenant_backups_status_check
    check (status in ('queued', 'running', 'done', 'failed', 'purged', 'expired'));
create index tenant_backups_created_idx on tenant_backups (created_at) where status in ('done', 'failed');
