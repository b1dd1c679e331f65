-- Every change that a process's caches depend on is announced on the channel
-- `tenantry_changes` by a trigger, so it is sent at commit of the very transaction that
-- made it, whoever made it (a `serve` instance, the CLI, psql). Payloads:
--   tenant:<id>            the tenant row, its modules or its domains
--   member:<user>:<tenant> one membership
--   roles:<tenant>         a tenant's custom roles (every member's access may change)
--   user:<id>              a user (deactivation, password, platform role)
--   staff                  who is assigned to which tenants (assignments, segments)
--   plan:<id>              a plan's limits or pool size
--   session:<id>           a session changed (rotated, signed out, data saved) or deleted
create function tenantry_announce() returns trigger
    language plpgsql
as $$
declare
    r jsonb;
    payload text;
begin
    if tg_op = 'DELETE' then
        r := to_jsonb(old);
    else
        r := to_jsonb(new);
    end if;
    payload := tg_argv[0];
    if tg_nargs > 1 then
        payload := payload || ':' || coalesce(r ->> tg_argv[1], '');
    end if;
    if tg_nargs > 2 then
        payload := payload || ':' || coalesce(r ->> tg_argv[2], '');
    end if;
    perform pg_notify('tenantry_changes', payload);
    return null;
end
$$;

create trigger tenants_announce after insert or update or delete on tenants
    for each row execute function tenantry_announce('tenant', 'id');
create trigger tenant_modules_announce after insert or update or delete on tenant_modules
    for each row execute function tenantry_announce('tenant', 'tenant_id');
create trigger tenant_domains_announce after insert or update or delete on tenant_domains
    for each row execute function tenantry_announce('tenant', 'tenant_id');
create trigger memberships_announce after insert or update or delete on memberships
    for each row execute function tenantry_announce('member', 'user_id', 'tenant_id');
create trigger tenant_roles_announce after insert or update or delete on tenant_roles
    for each row execute function tenantry_announce('roles', 'tenant_id');
create trigger users_announce after update or delete on users
    for each row execute function tenantry_announce('user', 'id');
create trigger staff_assignments_announce after insert or update or delete on staff_assignments
    for each row execute function tenantry_announce('staff');
create trigger segment_tenants_announce after insert or update or delete on segment_tenants
    for each row execute function tenantry_announce('staff');
create trigger segment_staff_announce after insert or update or delete on segment_staff
    for each row execute function tenantry_announce('staff');
create trigger plans_announce after update or delete on plans
    for each row execute function tenantry_announce('plan', 'id');
create trigger session_announce after update or delete on tower_sessions.session
    for each row execute function tenantry_announce('session', 'id');
