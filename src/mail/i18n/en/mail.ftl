# The words of the messages Tenantry sends, English (the fallback for every other language).

mail-hello = Hello,
mail-or-open = Or open this link:
mail-role-admin = Admin
mail-role-member = Member
mail-platform-team = The platform team

mail-invitation-subject = You are invited to { $name }
mail-invited = { $inviter } invited you to join { $name } as { $role }.
mail-accept = Accept the invitation
mail-accept-here = Accept the invitation here:
mail-invitation-expires = It works once and expires on { $when }.
mail-invitation-ignore = If you did not expect this invitation, you can ignore this message.

mail-reset-subject = Reset your { $name } password
mail-reset-asked = Someone (hopefully you) asked to reset the password of your { $name } account.
mail-choose-password = Choose a new password
mail-choose-password-here = Choose a new password here:
mail-reset-expires = It works once and expires in { $minutes } minutes.
mail-reset-sessions = Every session of your account ends when the password changes.
mail-reset-ignore = If you did not ask for this, ignore this message.
mail-reset-ignore-keeps = If you did not ask for this, ignore this message: your password stays as it is.

mail-alert-once = You get this message once per crossing: it is not sent again until the figure falls back below the threshold and crosses it anew.
mail-alert-see-usage = See your usage
mail-alert-open-console = Open it on the platform console

mail-alert-over = { $name } is over its limit of { $what } ({ $used } of { $max }) on the { $plan } plan.
mail-alert-reached = { $name } has reached its limit of { $what } ({ $used } of { $max }) on the { $plan } plan.
mail-alert-near = { $name } has used { $percent } % of its { $what } ({ $used } of { $max }) on the { $plan } plan.
mail-alert-limit-detail = Past the limit, what it counts is refused with a message naming the plan. A larger plan lifts the limit.
mail-limit-users = users
mail-limit-modules = modules
mail-limit-api-calls = API calls this month
mail-limit-storage = storage

mail-alert-failed = { $job ->
    [provision] Provisioning of { $name } failed.
    [purge] Purging of { $name } failed.
    [backup] A backup of { $name } failed.
    [restore] A restore of { $name } failed.
   *[migration] A migration of { $name } failed.
}
mail-alert-failure-detail = The error: { $error }. Its page on the platform console shows it; Retry runs the job again.
mail-alert-server-capacity = Database server { $name } is at { $percent } % of its tenant capacity ({ $used } of { $max }).
mail-alert-server-connections = Database server { $name } is at { $percent } % of its tenant connection budget ({ $used } of { $max }).
mail-alert-server-detail = Register another server, raise the figure on the Database servers page, or drain this one so new tenants go elsewhere.
