-- Inventory module: products, stock locations and stock movements. A product's stock at
-- a location is the sum of its movements there; recording a movement locks the product
-- row first, so concurrent movements are counted one after the other and the sum can
-- never go below zero.
create table products (
    id                  bigint generated always as identity primary key,
    sku                 text not null check (length(sku) between 1 and 64),
    name                text not null check (length(name) between 1 and 200),
    -- In minor units of the tenant's currency (cents for EUR); never a float.
    unit_price          bigint not null check (unit_price >= 0),
    active              boolean not null default true,
    low_stock_threshold bigint not null default 0 check (low_stock_threshold >= 0),
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);
create unique index products_sku_key on products (lower(sku));

create table stock_locations (
    id         bigint generated always as identity primary key,
    name       text not null check (length(name) between 1 and 100),
    created_at timestamptz not null default now()
);
create unique index stock_locations_name_key on stock_locations (lower(name));
insert into stock_locations (name) values ('Main');

create table stock_movements (
    id          bigint generated always as identity primary key,
    product_id  bigint not null references products (id) on delete cascade,
    location_id bigint not null references stock_locations (id),
    kind        text not null check (kind in ('in', 'out', 'adjustment')),
    -- Signed change of the quantity on hand: positive in, negative out.
    delta       bigint not null check (delta <> 0),
    note        text not null default '' check (length(note) <= 500),
    created_by  text not null default '',
    created_at  timestamptz not null default now(),
    check ((kind = 'in' and delta > 0) or (kind = 'out' and delta < 0) or kind = 'adjustment')
);
create index stock_movements_product_idx on stock_movements (product_id, location_id);
