-- Plans become editable (Plans page, `tenantry plans …`): a short-window rate limit
-- joins the limits, and inserted plans are announced too (caches read plans by id).
alter table plans add column max_requests_per_second integer check (max_requests_per_second > 0);
alter table plans add column created_at timestamptz not null default now();
update plans set max_requests_per_second = case id
    when 'free' then 20 when 'starter' then 50 when 'pro' then 200 else null end;
alter table plans add constraint plans_name_check check (length(name) between 1 and 60);
create unique index plans_name_key on plans (lower(name));

drop trigger plans_announce on plans;
create trigger plans_announce after insert or update or delete on plans
    for each row execute function tenantry_announce('plan', 'id');

-- Metered use per tenant and UTC day, written by one batched upsert per flush interval
-- (counters add; storage and active users keep the day's highest sample).
create table usage_daily (
    tenant_id       uuid not null references tenants (id),
    day             date not null,
    page_requests   bigint not null default 0 check (page_requests >= 0),
    api_calls       bigint not null default 0 check (api_calls >= 0),
    mail_sent       bigint not null default 0 check (mail_sent >= 0),
    records_written bigint not null default 0 check (records_written >= 0),
    active_users    bigint not null default 0 check (active_users >= 0),
    storage_bytes   bigint not null default 0 check (storage_bytes >= 0),
    primary key (tenant_id, day)
);
create index usage_daily_day_idx on usage_daily (day);

-- Days older than the retention period, rolled up per calendar month.
create table usage_monthly (
    tenant_id       uuid not null references tenants (id),
    month           date not null check (extract(day from month) = 1),
    page_requests   bigint not null default 0,
    api_calls       bigint not null default 0,
    mail_sent       bigint not null default 0,
    records_written bigint not null default 0,
    active_users    bigint not null default 0,
    storage_bytes   bigint not null default 0,
    primary key (tenant_id, month)
);

-- Who was active on a tenant's console per day (active users are distinct across
-- instances); pruned with the daily rows.
create table usage_active_users (
    tenant_id uuid not null references tenants (id),
    day       date not null,
    user_id   uuid not null,
    primary key (tenant_id, day, user_id)
);

-- Alerts already sent: one per crossing (tenant or server, what, threshold, period).
create table usage_alerts (
    subject   text not null,
    metric    text not null,
    threshold integer not null check (threshold in (80, 100)),
    period    text not null,
    sent_at   timestamptz not null default now(),
    primary key (subject, metric, threshold, period)
);
