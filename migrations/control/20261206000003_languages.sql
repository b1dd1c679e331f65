-- The reader's language: a tenant's (copied from its Settings, so the request path reads
-- it from the control plane's cache, not from the tenant's database) and a person's own
-- choice (the language menu), which wins. Tags as BCP 47 (`en`, `pt-BR`).
alter table tenants add column language text not null default 'en'
    check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
alter table users add column language text
    check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$');
