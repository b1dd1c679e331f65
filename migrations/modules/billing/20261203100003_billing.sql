-- Billing module: invoices for CRM customers, their lines, tax rates and gapless
-- numbering per year. Amounts are integers in minor units of the tenant's currency.

-- The module's settings (one row): the invoice number prefix.
create table invoice_settings (
    id     boolean primary key default true check (id),
    prefix text not null default 'INV' check (prefix ~ '^[A-Z0-9]{1,10}$')
);
insert into invoice_settings (id) values (true);

-- Tax rates in basis points (2000 = 20 %).
create table tax_rates (
    id         bigint generated always as identity primary key,
    name       text not null check (length(name) between 1 and 60),
    rate_bp    integer not null check (rate_bp between 0 and 100000),
    created_at timestamptz not null default now()
);
create unique index tax_rates_name_key on tax_rates (lower(name));

-- The last number given out each year; taken in the transaction that issues an
-- invoice, so a rolled-back issue gives its number back and numbers have no gaps.
create table invoice_counters (
    year integer primary key,
    last integer not null check (last > 0)
);

create table invoices (
    id          bigint generated always as identity primary key,
    customer_id bigint not null references customers (id),
    number      text unique,
    status      text not null default 'draft' check (status in ('draft', 'issued', 'paid', 'void')),
    currency    text not null check (currency ~ '^[A-Z]{3}$'),
    notes       text not null default '' check (length(notes) <= 2000),
    subtotal    bigint not null default 0,
    tax         bigint not null default 0,
    total       bigint not null default 0,
    issued_on   date,
    created_at  timestamptz not null default now(),
    issued_at   timestamptz,
    paid_at     timestamptz,
    voided_at   timestamptz,
    check ((status = 'draft') = (number is null))
);
create index invoices_status_idx on invoices (status, created_at desc);
create index invoices_customer_idx on invoices (customer_id);

create table invoice_lines (
    id          bigint generated always as identity primary key,
    invoice_id  bigint not null references invoices (id) on delete cascade,
    -- The inventory product it was taken from (no foreign key: inventory is optional).
    product_id  bigint,
    description text not null check (length(description) between 1 and 500),
    quantity    bigint not null check (quantity > 0),
    unit_price  bigint not null check (unit_price >= 0),
    tax_rate_bp integer not null default 0 check (tax_rate_bp between 0 and 100000),
    created_at  timestamptz not null default now()
);
create index invoice_lines_invoice_idx on invoice_lines (invoice_id);

-- Issued invoices are immutable: only a draft's lines change, and an issued invoice
-- only moves on to paid or void. The application says so first; this is the backstop.
create or replace function invoice_lines_draft_only() returns trigger language plpgsql as $$
begin
    if exists (select 1 from invoices
               where id = coalesce(new.invoice_id, old.invoice_id) and status <> 'draft') then
        raise exception 'invoice is not a draft' using errcode = 'check_violation',
            constraint = 'invoice_lines_draft_only';
    end if;
    return coalesce(new, old);
end $$;
create trigger invoice_lines_draft_only before insert or update or delete on invoice_lines
    for each row execute function invoice_lines_draft_only();

create or replace function invoices_issued_immutable() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        if old.status <> 'draft' then
            raise exception 'an issued invoice cannot be deleted' using errcode = 'check_violation',
                constraint = 'invoices_issued_immutable';
        end if;
        return old;
    end if;
    if old.status <> 'draft' and (
        new.customer_id, new.number, new.currency, new.notes, new.subtotal, new.tax, new.total,
        new.issued_on, new.issued_at
    ) is distinct from (
        old.customer_id, old.number, old.currency, old.notes, old.subtotal, old.tax, old.total,
        old.issued_on, old.issued_at
    ) or (old.status <> new.status and not (
        (old.status = 'draft' and new.status = 'issued')
        or (old.status = 'issued' and new.status in ('paid', 'void'))
    )) then
        raise exception 'an issued invoice cannot be changed' using errcode = 'check_violation',
            constraint = 'invoices_issued_immutable';
    end if;
    return new;
end $$;
create trigger invoices_issued_immutable before update or delete on invoices
    for each row execute function invoices_issued_immutable();
