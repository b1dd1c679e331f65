-- Several `tenantry serve` instances share each db server's tenant-connection budget.
-- An instance registers here and beats every second; one that stops beating for 10 s is
-- gone, and its share with it. Each instance's share is a claim on a server's budget:
-- claims only grow into room others have released, so together they never exceed it.

-- The server's budget for tenant connections (null: TENANTRY_TENANT_CONNECTIONS).
alter table db_servers
    add column tenant_connections int check (tenant_connections between 1 and 100000);

create table instances (
    id           uuid primary key,
    host         text not null,
    pid          int not null,
    started_at   timestamptz not null default now(),
    heartbeat_at timestamptz not null default now()
);

create table instance_shares (
    instance_id  uuid not null references instances (id) on delete cascade,
    db_server_id uuid not null references db_servers (id) on delete cascade,
    connections  int not null check (connections >= 0),
    primary key (instance_id, db_server_id)
);
