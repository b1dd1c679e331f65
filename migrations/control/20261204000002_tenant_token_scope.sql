-- Tenant API tokens gain a scope: `read` (as before; the API's transactions are READ
-- ONLY, so PostgreSQL refuses their writes) or `write` (customers, contacts and
-- interactions). Existing tokens keep reading only.
alter table api_tokens add column scope text not null default 'read'
    check (scope in ('read', 'write'));
