-- Alerts: a row in usage_alerts means "this crossing was announced and still holds".
-- The checker inserts a row when a limit is crossed (the insert that wins sends the
-- mail, so two instances announce it once) and deletes it when the use falls back, so
-- the next crossing is announced again. The tenant and the sentence feed the banners.
alter table usage_alerts add column tenant_id uuid references tenants (id);
alter table usage_alerts add column message text not null default '';
create index usage_alerts_tenant_idx on usage_alerts (tenant_id) where tenant_id is not null;

-- Platform webhook deliveries (TENANTRY_ALERT_WEBHOOK_URL), queued in the alert's
-- transaction and retried like mail.
create table webhook_deliveries (
    id              uuid primary key,
    event           text not null check (length(event) between 1 and 100),
    payload         jsonb not null,
    status          text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts        integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error      text,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz
);
create index webhook_deliveries_due_idx on webhook_deliveries (next_attempt_at) where status = 'pending';
