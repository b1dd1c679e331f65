-- Segments: named groups of tenants that owners assign to super admins as a whole
-- (e.g. "EU customers"), beside the direct assignments of staff_assignments.
create table segments (
    id          uuid primary key,
    name        text not null check (length(name) between 1 and 60 and name = btrim(name)),
    description text not null default '' check (length(description) <= 500),
    created_at  timestamptz not null default now()
);
-- Names are compared case-insensitively: "EU" and "eu" are the same segment.
create unique index segments_name_key on segments (lower(name));

-- Deleting a segment removes its links, never its tenants or staff.
create table segment_tenants (
    segment_id uuid not null references segments (id) on delete cascade,
    tenant_id  uuid not null references tenants (id),
    created_at timestamptz not null default now(),
    primary key (segment_id, tenant_id)
);
create index segment_tenants_tenant_idx on segment_tenants (tenant_id);

create table segment_staff (
    segment_id uuid not null references segments (id) on delete cascade,
    user_id    uuid not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (segment_id, user_id)
);
create index segment_staff_user_idx on segment_staff (user_id);

-- The one statement of the rule "a super admin manages the tenants assigned to them,
-- directly or through a segment". Every scope check (tenant list, count, detail, console
-- access) calls it, so the rule cannot drift between them. A plain SQL function, so the
-- planner inlines it into the queries that use it.
create function tenantry_assigned(p_user uuid, p_tenant uuid) returns boolean
    language sql stable
as $$
    select exists (select 1 from staff_assignments a
                   where a.user_id = p_user and a.tenant_id = p_tenant)
        or exists (select 1 from segment_staff s
                   join segment_tenants t on t.segment_id = s.segment_id
                   where s.user_id = p_user and t.tenant_id = p_tenant)
$$;
