-- API calls per tenant and calendar month (UTC), counted against the plan's
-- max_api_calls_per_month.
create table api_usage (
    tenant_id uuid not null references tenants (id),
    month     date not null,
    calls     bigint not null default 0 check (calls >= 0),
    primary key (tenant_id, month)
);
