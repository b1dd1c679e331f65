-- CRM module: customers, their contacts, and the interactions with them.
create table customers (
    id         bigint generated always as identity primary key,
    name       text not null check (length(name) between 1 and 200),
    email      text check (email is null or length(email) <= 254),
    phone      text check (phone is null or length(phone) <= 40),
    status     text not null default 'lead' check (status in ('lead', 'active', 'churned')),
    notes      text not null default '' check (length(notes) <= 10000),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index customers_name_idx on customers (lower(name) text_pattern_ops);
create index customers_email_idx on customers (lower(email));
create index customers_status_idx on customers (status, created_at desc);

create table contacts (
    id          bigint generated always as identity primary key,
    customer_id bigint not null references customers (id) on delete cascade,
    name        text not null check (length(name) between 1 and 200),
    email       text check (email is null or length(email) <= 254),
    phone       text check (phone is null or length(phone) <= 40),
    title       text check (title is null or length(title) <= 100),
    created_at  timestamptz not null default now()
);
create index contacts_customer_idx on contacts (customer_id);

create table interactions (
    id          bigint generated always as identity primary key,
    customer_id bigint not null references customers (id) on delete cascade,
    contact_id  bigint references contacts (id) on delete set null,
    kind        text not null check (kind in ('call', 'email', 'meeting', 'note')),
    summary     text not null check (length(summary) between 1 and 5000),
    occurred_at timestamptz not null default now(),
    created_by  text not null default ''
);
create index interactions_customer_idx on interactions (customer_id, occurred_at desc);
