-- When a member last signed in to this tenant (users.last_login_at is any console's).
alter table memberships add column last_login_at timestamptz;
