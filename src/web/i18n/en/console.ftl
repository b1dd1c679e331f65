# The consoles' own texts, English (the fallback for every other language).

skip-link = Skip to content
menu = Menu
sign-out = Sign out
language = Language
language-apply = Apply
language-saved = Language saved.
language-unknown = Choose one of the languages in the menu.

nav-workspace = Workspace
nav-dashboard = Dashboard
nav-crm = Customers
nav-tasks = Tasks
nav-inventory = Products
nav-billing = Invoices
nav-members = Members
nav-roles = Roles
nav-modules = Modules
nav-settings = Settings
nav-usage = Usage
nav-audit = Audit
nav-tenants = Tenants
nav-staff = Staff
nav-segments = Segments
nav-plans = Plans
nav-servers = Database servers
nav-outbox = Outbox
nav-system = System

members-count = { $n ->
    [one] { $n } member
   *[other] { $n } members
}

dashboard-get-ready = Get { $name } ready
dashboard-steps-done = { $done } of { $total } done
dashboard-plan = Plan
dashboard-members = Members
dashboard-access = Your access
dashboard-invoiced = Invoiced this month
dashboard-modules = Enabled modules
dashboard-no-modules = No modules are enabled yet.
dashboard-other-workspaces = Your other workspaces

usage-intro = API calls are counted per calendar month (UTC); storage is measured now, on the workspace's database.
usage-of = of
usage-unlimited = unlimited
usage-records = Records in the enabled modules
usage-last-30-days = The last 30 days
usage-days-help = Per UTC day. Hover a bar for its figure; the table below has them all.
usage-download-csv = Download as CSV
usage-csv-range = (add ?from=YYYY-MM-DD&to=YYYY-MM-DD for another range of up to 400 days).
usage-last-12-months = The last 12 months
usage-table = The last 30 days as a table
usage-people = People
usage-people-note = { $members } members and { $invited } pending invitations
usage-modules = Modules
usage-api = API calls this month
usage-storage = Storage
usage-unavailable = unavailable

common-search = Search
common-status = Status
common-any = Any
common-rows-per-page = Rows per page
common-filter = Filter
common-name = Name
common-email = Email
common-phone = Phone
common-notes = Notes
common-delete = Delete
common-actions = Actions
common-export-csv = Export CSV
common-previous = Previous
common-next = Next
common-edit = Edit
common-save = Save
common-cancel = Cancel
common-optional = (optional)
common-kind = Kind
common-remove = Remove
common-none = None
common-description = Description
common-quantity = Quantity
common-customer = Customer
common-location = Location
common-created = Created
common-showing = Showing { $first }–{ $last } of { $total }
common-showing-none = Showing 0 of { $total }
common-page-of = page { $page } of { $pages }
status-lead = lead
status-active = active
status-churned = churned
status-inactive = inactive
status-draft = draft
status-issued = issued
status-paid = paid
status-void = void
status-note = note
status-call = call
status-email = email
status-meeting = meeting
status-in = in
status-out = out
status-adjustment = adjustment
status-read = read
status-write = write
status-admin = admin
status-pending = pending
crm-search-placeholder = name or email
crm-add-customer = Add a customer
crm-add-customer-button = Add customer
crm-ticked = Ticked customers
crm-set-status = Set status
crm-bulk-delete-confirm = Delete the ticked customers with their contacts and interactions?
crm-tick = Tick
crm-tick-name = Tick { $name }
crm-none-match = No customers match.
crm-edit-details = Edit details
crm-contact-title = Title
crm-delete-confirm = Delete { $name } with its contacts and interactions?
crm-delete-customer = Delete customer
crm-contacts = Contacts
crm-edit-or-remove = Edit or remove
crm-save-contact = Save contact
crm-remove-contact-confirm = Remove { $name } from this customer's contacts?
crm-remove-contact = Remove contact
crm-no-contacts = No contacts yet.
crm-add-contact = Add contact
crm-timeline = Timeline
crm-what-happened = What happened?
crm-add-to-timeline = Add to timeline
crm-nothing-recorded = Nothing recorded yet.
crm-no-tasks = No tasks for this customer.
crm-sort-name = Name
crm-sort-status = Status
crm-sort-added = Added
tasks-due-on = due { $when }
tasks-overdue = overdue

crm-count = { $n ->
    [one] { $n } customer
   *[other] { $n } customers
}

common-choose = Choose…
common-unit-price = Unit price
billing-module = Billing
billing-search-placeholder = number or customer
billing-new-invoice = New invoice
billing-create-draft = Create draft
billing-invoice = Invoice
billing-issued = Issued
billing-total = Total
billing-draft-n = Draft #{ $id }
billing-none-match = No invoices match.
billing-qty = Qty
billing-tax = Tax
billing-amount = Amount
billing-no-lines = No lines yet.
billing-subtotal = Subtotal
billing-customer-colon = Customer:
billing-issued-on = Issued { $date }
billing-printable = Printable invoice
billing-add-a-line = Add a line
billing-product = Product
billing-product-hint = (or leave empty and describe the line)
billing-free-text = Free text
billing-add-line = Add line
billing-issue-confirm = Issue this invoice? It takes the next number and cannot be changed afterwards.
billing-issue = Issue invoice
billing-delete-draft-confirm = Delete this draft?
billing-delete-draft = Delete draft
billing-mark-paid = Mark paid
billing-void-confirm = Void this invoice? Its number stays used.
billing-void = Void
billing-vat-id = VAT
billing-status-colon = Status:
billing-billed-to = Billed to
billing-invoice-numbers = Invoice numbers
billing-prefix = Prefix
billing-prefix-help = Numbers read PREFIX-YEAR-0001, without gaps.
billing-save-prefix = Save prefix
billing-tax-rates = Tax rates
billing-no-tax-rates = No tax rates yet.
billing-vat-placeholder = VAT
billing-rate-percent = Rate (%)
billing-add-tax-rate = Add tax rate
billing-settings-title = Billing settings
billing-invoices-title = Invoices

billing-count = { $n ->
    [one] { $n } invoice
   *[other] { $n } invoices
}

title-products = Products
title-stock-locations = Stock locations
title-members = Members

title-api-tokens = API tokens
title-audit-log = Audit log
title-billing-settings = Billing settings
title-customers = Customers
title-dashboard = Dashboard
title-invoices = Invoices
title-modules = Modules
title-roles = Roles
title-settings = Settings
title-task-board = Task board
title-task-settings = Task settings
title-tasks = Tasks
title-usage = Usage

inv-module = Inventory
inv-search-placeholder = SKU or name
inv-active = Active
inv-inactive = Inactive
inv-low-only = Low on stock only
inv-add-product = Add a product
inv-add-product-button = Add product
inv-new-location = New location
inv-add-location = Add location
inv-only-admins-add-locations = Only this module's admins add locations.
inv-sku = SKU
inv-low-stock-at = Low-stock warning at
inv-active-offered = Active (offered on invoices)
inv-on-hand = On hand
inv-low-stock = low stock
inv-none-match = No products match.
inv-stock-by-location = Stock by location
inv-no-movements = No movements yet.
inv-record-a-movement = Record a movement
inv-quantity-hint = (adjustments may be negative)
inv-note = Note
inv-record-movement = Record movement
inv-at-location = at { $location }
inv-save-product = Save product

inv-count = { $n ->
    [one] { $n } product
   *[other] { $n } products
}

status-todo = To do
status-doing = Doing
status-done = Done
status-low = low
status-normal = normal
status-high = high
status-urgent = urgent
tasks-list = List
tasks-board = Board
tasks-show = Show
tasks-all = All tasks
tasks-mine = Mine
tasks-search-placeholder = title
tasks-overdue-filter = Overdue
tasks-add-a-task = Add a task
tasks-add-task = Add task
tasks-nothing-here = Nothing here.
tasks-title = Title
tasks-priority = Priority
tasks-due-date = Due date
tasks-due-time = Due time
tasks-due-time-hint = (end of day if empty)
tasks-assignee = Assignee
tasks-nobody = Nobody
tasks-status-labels = Status labels
tasks-status-labels-help = The names of the board's columns. The statuses themselves stay to do, doing and done.
tasks-save-labels = Save labels
tasks-task = Task
tasks-due = Due
tasks-none-match = No tasks match.
tasks-delete-confirm = Delete this task?
tasks-delete = Delete task
tasks-save = Save task

tasks-count = { $n ->
    [one] { $n } task
   *[other] { $n } tasks
}

time-just-now = just now
time-yesterday = yesterday
time-minutes-ago = { $n ->
    [one] 1 minute ago
   *[other] { $n } minutes ago
}
time-hours-ago = { $n ->
    [one] 1 hour ago
   *[other] { $n } hours ago
}
time-days-ago = { $n ->
    [one] 1 day ago
   *[other] { $n } days ago
}
time-in-minutes = { $n ->
    [one] in 1 minute
   *[other] in { $n } minutes
}
time-in-hours = { $n ->
    [one] in 1 hour
   *[other] in { $n } hours
}
time-in-days = { $n ->
    [one] in 1 day
   *[other] in { $n } days
}

common-never = never
role-admin = Admin
role-member = Member
status-invited = invited
status-accepted = accepted
status-expired = expired
status-revoked = revoked
status-suspended = suspended
members-invite-by-email = Invite by email
members-email-placeholder = name@example.com
members-role = Role
members-send-invitation = Send invitation
members-last-sign-in = Last sign-in
members-role-of = Role of { $email }
members-change = Change
members-remove-confirm = Remove { $email } from this workspace?
members-none = No members yet.
members-invitations = Invitations
members-invited-by = Invited by
members-expires = Expires
members-resend = Resend
members-revoke-confirm = Revoke the invitation to { $email }? Its link stops working at once.
members-revoke = Revoke
roles-intro = Besides Admin and Member, give people a role that opens only the modules they need, at the level they need. Changes apply at once.
roles-permissions = Permissions
roles-pending-invitations = Pending invitations
roles-no-modules = No modules
roles-delete-confirm = Delete the role “{ $name }”?
roles-none = No custom roles yet.
roles-edit = Edit role
roles-new = New role
roles-permissions-per-module = Permissions per module
roles-levels-help = Read: see its pages. Write: also add, edit and delete. Admin: also the module's own settings. None hides the module.
roles-level-none = None
roles-level-read = Read
roles-level-write = Write
roles-level-admin = Admin
roles-save = Save role
roles-create = Create role
tokens-intro-1 = Programs read this workspace's data over the JSON API with a token:
tokens-intro-2 = A read token only reads (the database itself refuses its writes); a write token may also create, change and delete customers, contacts and interactions. Send them to this host, or to any host of the platform with
tokens-intro-3 = Each token works for this workspace only.
tokens-of-limit = of { $limit } ({ $plan } plan)
tokens-no-limit = (the { $plan } plan has no limit)
tokens-copy-now = Copy the token now: it is shown only this once.
tokens-copy = Copy
tokens-new-name = New token's name
tokens-name-placeholder = Reporting
tokens-scope = Scope
tokens-create = Create token
tokens-token = Token
tokens-last-used = Last used
tokens-revoke-confirm = Revoke { $name }? Programs using it stop working at once.
tokens-none = No API tokens yet.
settings-company-name = Company name
settings-time-zone = Time zone
settings-currency = Currency
settings-theme-colour = Theme colour
settings-logo-url = Logo URL (https)
settings-save = Save settings
settings-billing-details = Billing details
settings-company-to-bill = Company to bill
settings-vat-id = VAT id
settings-billing-address = Billing address
settings-save-billing = Save billing details
settings-api-intro = Programs read this workspace's data with
modules-your-plan = Your plan:
modules-intro = Disabling a module hides its pages and keeps its data.
modules-enabled = enabled
modules-not-in-plan = not in your plan
modules-needs = Needs:
modules-disable-confirm = Disable { $name }? Its pages disappear; its data is kept.
modules-disable = Disable
modules-needs-confirm = { $name } needs { $missing }, which is not enabled. Enable it too?
modules-enable = Enable
modules-purge-confirm = Purge all { $name } data? This cannot be undone.
modules-type-to-confirm = Type { $id } to confirm the purge
modules-type-placeholder = type { $id }
modules-purge = Purge data
module-crm = CRM
module-tasks = Tasks
module-inventory = Inventory
module-billing = Billing
module-crm-description = Customers with their contacts and a timeline of calls, meetings and notes; search, sorting, bulk changes and CSV export.
module-tasks-description = To-dos with an assignee, a priority and a due time in your time zone, as a list and a board; linked to CRM customers.
module-inventory-description = Products with SKUs and prices, stock locations and movements in, out and adjusted; stock never negative, low-stock badges.
module-billing-description = Invoices from products or free text with tax rates, gapless numbers, a printable branded page and the month's revenue on the dashboard.
audit-when = When (UTC)
audit-actor = Actor
audit-action = Action
audit-target = Target
audit-from = From
audit-details = Details
audit-none-match = No events match.
audit-request-id = request id
audit-load-more = Load more
usage-day = Day
usage-page-requests = Page requests
usage-api-calls = API calls
usage-mail-sent = Mail sent
usage-records-written = Records written
usage-active-users = Active users
usage-storage-bytes = Storage (bytes)
