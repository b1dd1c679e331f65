-- Base schema of every tenant (its own database, or its own schema in a pooled one).
-- Objects are created as the tenant's role, so the tenant owns everything here.

-- The tenant's own settings: one row.
create table tenant_settings (
    id          boolean primary key default true check (id),
    name        text not null default '' check (length(name) <= 200),
    timezone    text not null default 'UTC' check (length(timezone) <= 64),
    currency    text not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
    language    text not null default 'en' check (language ~ '^[a-z]{2}(-[A-Z]{2})?$'),
    logo_url    text check (logo_url is null or (length(logo_url) <= 2048 and logo_url ~ '^https://')),
    theme_color text not null default '#4f46e5' check (theme_color ~ '^#[0-9a-fA-F]{6}$'),
    updated_at  timestamptz not null default now()
);

-- Labels any module may attach to its records.
create table tags (
    id         bigint generated always as identity primary key,
    name       text not null check (length(name) between 1 and 64),
    color      text not null default '#64748b' check (color ~ '^#[0-9a-fA-F]{6}$'),
    created_at timestamptz not null default now()
);
create unique index tags_name_key on tags (lower(name));
