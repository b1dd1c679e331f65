-- Enterprise admins may invite another enterprise admin from the Staff page (until now
-- owners were only made from the shell).
alter table invitations drop constraint invitations_check;
alter table invitations add constraint invitations_check check (
    (tenant_id is null and role in ('owner', 'super_admin', 'support') and role_id is null)
    or (tenant_id is not null and role in ('admin', 'member', 'custom')
        and ((role = 'custom') = (role_id is not null)))
);
