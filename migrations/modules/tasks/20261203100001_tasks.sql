-- Tasks module: work items with a status, a priority, a due time, an assignee (a member
-- of the tenant, by control-plane user id) and optionally a customer of the CRM.

-- The board's columns: fixed statuses whose labels the module's admins may rename.
create table task_statuses (
    status   text primary key check (status in ('todo', 'doing', 'done')),
    label    text not null check (length(label) between 1 and 40),
    position integer not null
);
insert into task_statuses (status, label, position) values
    ('todo', 'To do', 1), ('doing', 'Doing', 2), ('done', 'Done', 3);

create table tasks (
    id          bigint generated always as identity primary key,
    title       text not null check (length(title) between 1 and 200),
    description text not null default '' check (length(description) <= 10000),
    status      text not null default 'todo' references task_statuses (status),
    priority    text not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
    due_at      timestamptz,
    assignee_id uuid,
    customer_id bigint references customers (id) on delete set null,
    created_by  text not null default '',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
create index tasks_status_idx on tasks (status, due_at);
create index tasks_assignee_idx on tasks (assignee_id, due_at);
create index tasks_customer_idx on tasks (customer_id);
