-- Which tenant an event belongs to. A tenant's own log is chosen by this id, never by the
-- free-text `target`: an invitation filed under an email must reach its tenant's log, and
-- a token *named* like another tenant's slug must not reach that tenant's.
-- Tenant rows are never deleted (a purge keeps the row as 'purged'), so the key blocks
-- nothing; should one ever be deleted, its events stay, with no tenant.
alter table audit_events add column tenant_id uuid references tenants (id) on delete set null;

-- Existing events, wherever the tenant can be known for certain:
-- 1. the event's details name the tenant;
update audit_events e
   set tenant_id = t.id
  from tenants t
 where e.tenant_id is null
   and t.id::text = e.details ->> 'tenant_id';

-- 2. a sign-in on a tenant's host records its audience as `Tenant(<id>)`;
update audit_events e
   set tenant_id = t.id
  from tenants t
 where e.tenant_id is null
   and e.action = 'auth.login'
   and e.details ->> 'audience' = 'Tenant(' || t.id::text || ')';

-- 3. mail events name the message, and the message its tenant;
update audit_events e
   set tenant_id = o.tenant_id
  from outbox o
 where e.tenant_id is null
   and e.action like 'outbox.%'
   and o.tenant_id is not null
   and o.id::text = e.details ->> 'message_id';

-- 4. events whose target is a tenant's slug by construction (never text a user typed):
--    the tenant that had that slug when the event happened (a purged tenant's slug can
--    be taken again).
update audit_events e
   set tenant_id = (select t.id from tenants t
                     where t.slug = e.target and t.created_at <= e.at
                     order by t.created_at desc
                     limit 1)
 where e.tenant_id is null
   and e.target is not null
   and (e.action like 'tenant.%' or e.action like 'module.%' or e.action like 'role.%'
        or e.action like 'crm.%'
        or e.action in ('auth.handoff', 'segment.tenant_added', 'segment.tenant_removed'));

-- A tenant's log, newest first (the order every log page uses).
create index audit_events_tenant_idx on audit_events (tenant_id, id desc);
