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
tokens-intro-2 = A read token only reads (the database itself refuses its writes); a write token may also create, change and delete customers, contacts and interactions; an admin token may also list members and invite or uninvite people. Send them to this host, or to any host of the platform with
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

msg-audit-admins-only = The audit log is for admins.
msg-choose-customer-to-invoice = Choose the customer to invoice.
msg-draft-created = Draft invoice created: add its lines.
msg-line-added = Line added.
msg-line-removed = Line removed.
msg-draft-deleted = Draft deleted.
msg-prefix-saved = Invoice number prefix saved.
msg-role-excludes-crm = Your role here does not include the CRM.
msg-read-only = Read-only access: nothing can be changed.
msg-ticked-not-customer = A ticked row is not a customer.
msg-tick-first = Tick the customers to change first.
msg-one-page-at-a-time = Change at most one page of customers at a time.
msg-choose-customer-status = Choose lead, active or churned.
msg-choose-bulk-action = Choose what to do with the ticked customers.
msg-customer-saved = Customer saved.
msg-contact-removed = Contact removed.
msg-added-to-timeline = Added to the timeline.
msg-product-saved = Product saved.
msg-no-longer-access = You no longer have access to this workspace.
msg-admins-manage-people = Only this workspace's admins can manage its people.
msg-invitation-not-sent = The invitation was not sent.
msg-invitation-sent = Invitation sent.
msg-role-changed = Role changed.
msg-member-removed = Member removed.
msg-invitation-resent = Invitation sent again; the earlier link no longer works.
msg-invitation-revoked = Invitation revoked.
msg-module-admins-only = Only this module's admins can change its settings.
msg-admins-change-modules = Only admins can change modules.
msg-admins-manage-roles = Only this workspace's admins can manage its roles.
msg-role-created = Role created.
msg-role-saved = Role saved; members with it have the new permissions now.
msg-role-deleted = Role deleted.
msg-admins-billing-details = Only admins can change billing details.
msg-billing-details-saved = Billing details saved.
msg-admins-settings = Only admins can change settings.
msg-choose-time-zone = Choose a time zone from the list (such as Europe/Paris or UTC).
msg-settings-saved = Settings saved.
msg-task-saved = Task saved.
msg-task-deleted = Task deleted.
msg-choose-task-status = Choose to do, doing or done.
msg-task-moved = Task moved.
msg-status-labels-saved = Status labels saved.
msg-admins-tokens = Only admins manage API tokens.
msg-token-name = Name the token in 1 to 60 characters (what uses it, e.g. “Reporting”).
msg-single-line = Use a single line of text.
msg-choose-scope = Choose read, write or admin.
msg-token-revoked = The token was revoked: programs using it are refused from now on.
msg-admins-usage = Only admins see this workspace's usage.
msg-invoice-issued = Invoice { $number } issued.
msg-invoice-marked = Invoice marked { $status }.
msg-tax-rate-added = Tax rate { $name } added.
msg-contact-added = Contact { $name } added.
msg-contact-saved = Contact { $name } saved.
msg-product-added = Product { $sku } added.
msg-movement-recorded = Movement recorded: { $on_hand } now on hand there.
msg-location-added = Location { $name } added.
msg-role-excludes-module = Your role here does not include { $name }.
msg-modules-enabled = Enabled: { $names }.
msg-module-disabled = { $name } is disabled; its data is kept.
msg-task-added = Task “{ $title }” added.
msg-token-created = Token “{ $name }” created.

err-give-a-date-with-the-time-as-yyyy-mm-dd = Give a date with the time, as YYYY-MM-DD.
err-enter-a-date-between-the-years-2000-and-2200 = Enter a date between the years 2000 and 2200.
err-enter-a-real-date-as-yyyy-mm-dd-such-as-2026-12-31 = Enter a real date as YYYY-MM-DD, such as 2026-12-31.
err-enter-a-time-as-hh-mm-24-hours-such-as-17-30 = Enter a time as HH:MM (24 hours), such as 17:30.
err-enter-an-amount-such-as-12-50 = Enter an amount, such as 12.50.
err-an-amount-cannot-be-negative = An amount cannot be negative.
err-enter-an-amount-with-digits-and-one-decimal-point-such-as-12-50 = Enter an amount with digits and one decimal point, such as 12.50.
err-that-amount-is-too-large = That amount is too large.
err-enter-a-name-of-1-to-200-characters = Enter a name of 1 to 200 characters.
err-use-a-three-letter-code-such-as-eur-or-usd = Use a three-letter code such as EUR or USD.
err-use-a-language-code-such-as-en-or-pt-br = Use a language code such as en or pt-BR.
err-use-a-colour-such-as-4f46e5 = Use a colour such as #4f46e5.
err-that-email-address-is-too-long = That email address is too long.
err-use-at-most-40-characters = Use at most 40 characters.
err-notes-are-limited-to-10-000-characters = Notes are limited to 10,000 characters.
err-use-at-most-100-characters = Use at most 100 characters.
err-write-1-to-5-000-characters = Write 1 to 5,000 characters.
err-choose-call-email-meeting-or-note = Choose call, email, meeting or note.
err-enter-a-title-of-1-to-200-characters = Enter a title of 1 to 200 characters.
err-a-description-has-at-most-10-000-characters = A description has at most 10,000 characters.
err-use-1-to-40-characters = Use 1 to 40 characters.
err-choose-low-normal-high-or-urgent = Choose low, normal, high or urgent.
err-choose-a-customer-from-the-list = Choose a customer from the list.
err-that-customer-does-not-exist-any-more = That customer does not exist (any more).
err-use-1-to-10-capital-letters-or-digits-such-as-inv = Use 1 to 10 capital letters or digits, such as INV.
err-a-quantity-cannot-be-negative = A quantity cannot be negative.
err-choose-a-product-from-the-list = Choose a product from the list.
err-choose-a-tax-rate-from-the-list = Choose a tax rate from the list.
err-that-customer-does-not-exist = That customer does not exist.
err-that-product-does-not-exist-here-or-it-is-inactive = That product does not exist here, or it is inactive.
err-that-tax-rate-does-not-exist = That tax rate does not exist.
err-this-invoice-is-issued-it-cannot-be-changed-any-more = This invoice is issued: it cannot be changed any more.
err-add-at-least-one-line-before-issuing = Add at least one line before issuing.
err-only-an-issued-invoice-can-be-marked-paid-or-void = Only an issued invoice can be marked paid or void.
err-the-amounts-are-too-large = The amounts are too large.
err-there-is-no-such-invoice = There is no such invoice.
err-there-is-already-a-tax-rate-with-that-name = There is already a tax rate with that name.
err-enter-a-sku-of-1-to-64-characters = Enter a SKU of 1 to 64 characters.
err-enter-a-name-of-1-to-100-characters = Enter a name of 1 to 100 characters.
err-use-letters-digits-and-in-a-sku = Use letters, digits and - _ . / in a SKU.
err-choose-a-location = Choose a location.
err-choose-in-out-or-adjustment = Choose in, out or adjustment.
err-enter-a-quantity-other-than-zero = Enter a quantity other than zero.
err-a-note-has-at-most-500-characters = A note has at most 500 characters.
err-that-sku-is-already-used-by-another-product = That SKU is already used by another product.
err-there-is-already-a-location-with-that-name = There is already a location with that name.
err-there-is-no-such-product = There is no such product.
err-there-is-no-such-location = There is no such location.
err-enter-a-quantity-above-zero = Enter a quantity above zero.
err-enter-a-whole-number = Enter a whole number.
err-enter-the-company-to-bill-at-most-200-characters = Enter the company to bill (at most 200 characters).
err-enter-the-billing-address-at-most-1000-characters = Enter the billing address (at most 1000 characters).
err-a-vat-id-has-at-most-40-characters = A VAT id has at most 40 characters.
err-give-the-role-a-name = Give the role a name.
err-a-role-name-has-at-most-60-characters = A role name has at most 60 characters.
err-a-role-name-is-one-line-of-plain-text = A role name is one line of plain text.
err-that-role-does-not-exist-here = That role does not exist here.
err-enter-a-valid-email-address = Enter a valid email address.
err-there-is-no-such-invitation = There is no such invitation.
err-that-person-is-not-a-member-here = That person is not a member here.
err-this-value-is-not-valid = This value is not valid.
err-the-form-could-not-be-read-reload-the-page-and-try-again = The form could not be read. Reload the page and try again.
err-this-invitation-link-is-not-valid = This invitation link is not valid.
err-this-invitation-has-expired-ask-for-a-new-one = This invitation has expired. Ask for a new one.
err-this-invitation-was-withdrawn = This invitation was withdrawn.
err-this-invitation-has-already-been-used = This invitation has already been used.
err-this-invitation-was-sent-to-a-different-email-address = This invitation was sent to a different email address.
err-an-account-with-this-email-already-exists-sign-in-to-accept = An account with this email already exists: sign in to accept.

err-use-a-single-line-of-text = Use a single line of text.
err-choose-lead-active-or-churned = Choose lead, active or churned.
err-choose-to-do-doing-or-done = Choose to do, doing or done.

roles-grant = { $module }: { $level }
common-dismiss = Dismiss
common-confirm = Confirm

usage-limit = Limit
records-customers = Customers
records-contacts = Contacts
records-timeline-entries = Timeline entries
records-tasks = Tasks
records-products = Products
records-stock-movements = Stock movements
records-invoices = Invoices

err-company-profile = Company profile
err-check-your-name-time-zone-currency-and-branding = Check your name, time zone, currency and branding.
err-invite-your-team = Invite your team
err-invite-the-people-who-will-work-here = Invite the people who will work here.
err-choose-modules = Choose modules
err-turn-on-the-modules-your-plan-includes = Turn on the modules your plan includes.
err-billing-details = Billing details
err-add-your-billing-details-so-billing-can-be-enabled = Add your billing details so Billing can be enabled.
dashboard-onboarding = Onboarding
dashboard-step-done = done
dashboard-step-to-do = to do

common-date-placeholder = YYYY-MM-DD
common-time-placeholder = HH:MM

auth-join = Join { $name }
auth-sign-in-to = Sign in to { $name }
auth-sign-out-of = Sign out of { $name }
auth-go-to-platform = Go to the platform console
auth-password = Password
auth-sign-in = Sign in
auth-forgot = Forgot your password?
auth-forgot-no-email = No email? Check your spam folder, or ask again in a few minutes.
auth-forgot-intro = Enter the email you sign in with. We will send you a link to choose a new password.
auth-send-link = Send the link
auth-back-to-sign-in = Back to sign-in
auth-reset-intro-1 = Choose a new password for
auth-reset-intro-2 = Every session of this account ends when you save it.
auth-new-password = New password
auth-at-least = (at least { $n } characters)
auth-repeat-new-password = Repeat the new password
auth-save-new-password = Save the new password
auth-invited-1 = You are invited to join
auth-invited-2 = as
auth-invited-as = as { $email }.
auth-have-account = You already have an account: sign in to accept.
auth-sign-in-and-accept = Sign in and accept
auth-your-name = Your name
auth-choose-password = Choose a password
auth-repeat-password = Repeat the password
auth-accept-and-create = Accept and create account
auth-need-password = You will need your password to come back.
auth-not-signed-in = You are not signed in here.
auth-go-to-sign-in = Go to sign-in
auth-ask-new-link = Ask for a new link

err-reset-your-password = Reset your password
err-choose-a-new-password = Choose a new password
err-reset-links-work-for-one-hour-and-only-the-newest-one-works-ask-for-a-new-link = Reset links work for one hour, and only the newest one works. Ask for a new link.
err-each-reset-link-works-once-if-you-changed-your-password-with-it-sign-in-with-the-new-one-otherwise-ask-for-a-new-link = Each reset link works once. If you changed your password with it, sign in with the new one; otherwise ask for a new link.
err-check-that-you-opened-the-whole-link-from-the-email-on-the-site-where-you-asked-for-it-if-it-still-does-not-work-ask-for-a-new-link = Check that you opened the whole link from the email, on the site where you asked for it. If it still does not work, ask for a new link.
err-the-passwords-do-not-match = The passwords do not match.
err-check-that-you-opened-the-whole-link-from-the-email-if-it-still-does-not-work-ask-the-person-who-invited-you-to-send-a-new-invitation = Check that you opened the whole link from the email. If it still does not work, ask the person who invited you to send a new invitation.
err-invitations-work-for-a-limited-time-ask-the-person-who-invited-you-to-send-it-again = Invitations work for a limited time. Ask the person who invited you to send it again.
err-the-person-who-invited-you-withdrew-it-ask-them-if-you-think-this-is-a-mistake = The person who invited you withdrew it. Ask them if you think this is a mistake.
err-each-invitation-link-works-once-if-you-accepted-it-sign-in-with-your-email-and-password = Each invitation link works once. If you accepted it, sign in with your email and password.
err-enter-your-name-at-most-200-characters = Enter your name (at most 200 characters).
err-incorrect-email-or-password = Incorrect email or password.
err-this-link-is-not-valid-any-more-open-the-console-again-from-the-platform = This link is not valid any more. Open the console again from the platform.
err-your-password-was-changed-sign-in-with-the-new-one = Your password was changed. Sign in with the new one.
err-enter-your-password = Enter your password.
err-use-at-least-12-characters = Use at least 12 characters.
err-use-at-most-1024-characters = Use at most 1024 characters.
err-the-password-cannot-be-only-spaces = The password cannot be only spaces.

err-this-link-has-expired = This link has expired
err-this-link-has-already-been-used = This link has already been used
err-this-link-is-not-valid = This link is not valid
err-this-invitation-has-expired = This invitation has expired

pf-no-tenants = No tenants yet
pf-tenant-gets = A tenant gets its own database or schema, its own role, and a console on its own host.
pf-create-first = Create your first tenant
pf-all-tenants = All tenants
pf-newest = Newest tenants
pf-failed-jobs = Failed jobs
pf-no-failed-jobs = None: every provisioning and purge job has finished.
pf-platform-staff = Platform staff
pf-control-db = Control-plane database
pf-reachable = reachable
pf-unreachable = unreachable
pf-control-size = Control-plane size
pf-version-uptime = Version · uptime
pf-up = up { $duration }
pf-all = all
pf-new-tenant = New tenant
pf-slug-or-name = slug or name
pf-any-not-purged = Any (not purged)
pf-tier = Tier
pf-server = Server
pf-schema-versions = Schema versions across the fleet
pf-quarantined = Quarantined: a migration failed, their requests get a 503
pf-at-version = at version { $version }, since
pf-fix-then = Fix the cause, then
pf-releases-it = releases it.
pf-last-step-failed = last step failed
pf-error = error
pf-complete = complete
pf-none-match = No tenants match.
pf-sort-slug = Slug
pf-sort-version = Schema version
status-provisioning = provisioning
status-deleted = deleted
status-purged = purged
status-isolated = isolated
status-pooled = pooled

pf-tenant-count = { $n ->
    [one] { $n } tenant
   *[other] { $n } tenants
}

auth-forgot-sent = If an account exists for that address, we sent a link to choose a new password. It works once, for { $minutes } minutes.

title-database-servers = Database servers
title-plans = Plans
title-outbox = Outbox
title-message = Message
title-segments = Segments
title-system = System
title-staff = Staff
title-new-tenant = New tenant
title-tenants = Tenants

pf-module = Module
pf-needs = Needs
pf-requirement = Requirement
pf-tenants-using = Tenants using it
pf-billing-details = billing details

pf-invite-staff = Invite staff by email
pf-role-owner = Enterprise admin (everything)
pf-role-super-admin = Super admin (assigned tenants)
pf-role-support = Support (reads every tenant)
pf-deactivate = Deactivate
pf-reactivate = Reactivate
pf-unassign = Unassign
pf-assign = Assign
pf-no-super-admins = No super admins exist yet.
status-deactivated = deactivated

err-use-an-https-address-of-at-most-2048-characters-without-quotes-or-parentheses = Use an https:// address of at most 2048 characters, without quotes or parentheses.
