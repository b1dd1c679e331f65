-- The catalog says what each module brings, now that each one is built.
update modules set description = case id
    when 'crm' then 'Customers with their contacts and a timeline of calls, meetings and notes; search, sorting, bulk changes and CSV export.'
    when 'tasks' then 'To-dos with an assignee, a priority and a due time in your time zone, as a list and a board; linked to CRM customers.'
    when 'inventory' then 'Products with SKUs and prices, stock locations and movements in, out and adjusted; stock never negative, low-stock badges.'
    when 'billing' then 'Invoices from products or free text with tax rates, gapless numbers, a printable branded page and the month''s revenue on the dashboard.'
    else description end;
