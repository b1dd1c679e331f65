-- Tenant API tokens gain a third scope, `admin`: what a `write` token may do, plus the
-- tenant's people (members and invitations), as the tenant's admins do in the console.
alter table api_tokens drop constraint api_tokens_scope_check;
alter table api_tokens add constraint api_tokens_scope_check
    check (scope in ('read', 'write', 'admin'));
