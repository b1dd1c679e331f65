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
