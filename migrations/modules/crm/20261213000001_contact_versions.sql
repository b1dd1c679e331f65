-- Contacts get a version, as customers have: `updated_at` moves forward at every change,
-- so the API's `ETag`/`If-Match` can keep two writers from overwriting each other.
alter table contacts add column updated_at timestamptz not null default now();
