-- The module catalog: feature packages a tenant can enable.
create table modules (
    id          text primary key check (id ~ '^[a-z][a-z0-9_]{1,30}$'),
    name        text not null,
    description text not null,
    -- modules that must be enabled first
    depends_on  text[] not null default '{}',
    -- plans that include the module
    plans       text[] not null default '{}',
    -- the tenant must have billing details on file
    needs_billing_details boolean not null default false,
    sort_order  integer not null default 0
);
insert into modules (id, name, description, depends_on, plans, needs_billing_details, sort_order) values
    ('crm',       'CRM',       'Customers, their contacts and every interaction with them.', '{}',
     '{free,starter,pro,enterprise}', false, 1),
    ('tasks',     'Tasks',     'Work items with owners and due dates, linked to customers.', '{crm}',
     '{starter,pro,enterprise}', false, 2),
    ('inventory', 'Inventory', 'Products, stock levels and movements.', '{}',
     '{pro,enterprise}', false, 3),
    ('billing',   'Billing',   'Invoices and payments for your customers.', '{crm}',
     '{pro,enterprise}', true, 4);

-- Billing details a tenant keeps on file (required by the billing module).
create table tenant_billing (
    tenant_id  uuid primary key references tenants (id),
    company    text not null check (length(company) between 1 and 200),
    address    text not null check (length(address) between 1 and 1000),
    vat_id     text check (vat_id is null or length(vat_id) <= 40),
    updated_at timestamptz not null default now()
);
