-- A tenant whose fleet migration failed is quarantined: its requests get a clear 503
-- until a later migration of it succeeds; the rest of the fleet goes on.
alter table tenants add column quarantined_at timestamptz;
create index tenants_quarantined_idx on tenants (quarantined_at) where quarantined_at is not null;
