//! The one way a service's error becomes an HTTP answer. Each service error type says
//! here, once, which of its variants are refusals (the person asked for something the
//! rules do not allow, with the status that fits) and which are failures on our side
//! (logged, a 500). Handlers then use `?`, or [`Refusal::into_message`] where a refusal
//! is shown inside the form that caused it.
//!
//! The statuses are an HTTP concern, so they live here and not in the services; so are
//! the reader's words: a refusal that carries values (a plan's name, a limit) is said
//! through its Fluent text with them ([`Refusal::message_in`]).

use axum::http::StatusCode;

use super::AppError;
use crate::auth::login::LoginError;
use crate::control::domains::DomainError;
use crate::control::invitations::{AcceptError, InviteError};
use crate::control::memberships::MembershipError;
use crate::control::outbox::ResendError;
use crate::control::password_resets::{CompleteError, RequestError};
use crate::control::plans::PlanError;
use crate::control::roles::RoleError;
use crate::control::segments::SegmentError;
use crate::control::users::{CreateOwnerError, StaffError};
use crate::tenancy::DataError;
use crate::tenancy::lifecycle::{LifecycleError, Refused};
use crate::tenancy::modules::ModuleError;
use crate::tenancy::moves::MoveError;
use crate::tenancy::plan_change::UpdateError;
use crate::tenancy::pools::PoolError;
use crate::tenancy::servers::RegisterError;
use crate::tenancy::tenants::CreateError;
use crate::web::i18n::Locale;

const CONFLICT: Option<StatusCode> = Some(StatusCode::CONFLICT);
const NOT_FOUND: Option<StatusCode> = Some(StatusCode::NOT_FOUND);
const INVALID: Option<StatusCode> = Some(StatusCode::UNPROCESSABLE_ENTITY);
const FORBIDDEN: Option<StatusCode> = Some(StatusCode::FORBIDDEN);
const GONE: Option<StatusCode> = Some(StatusCode::GONE);
/// Ours: logged with its cause, shown as "something went wrong" with the request id.
const OURS: Option<StatusCode> = None;

/// A service error as the person asking should see it.
pub trait Refusal: std::error::Error + Send + Sync + Sized + 'static {
    /// The status of a refusal; `None` for a failure on our side.
    fn status(&self) -> Option<StatusCode>;

    /// What the person reads. The error's own text unless a variant needs other words.
    fn message(&self) -> String {
        self.to_string()
    }

    /// The refusal's message to show in the page, or the failure to return with `?`.
    fn into_message(self) -> Result<String, AppError> {
        match self.status() {
            Some(_) => Ok(self.message()),
            None => Err(anyhow::Error::from(self).into()),
        }
    }

    /// What the person reads, in their language: a variant that carries values says
    /// them through its own Fluent text; the others are found by their English words
    /// ([`Locale::message`]).
    fn message_in(&self, locale: &Locale) -> String {
        locale.message(&self.message())
    }

    /// [`Self::into_message`] in the reader's language.
    fn into_message_in(self, locale: &Locale) -> Result<String, AppError> {
        match self.status() {
            Some(_) => Ok(self.message_in(locale)),
            None => Err(anyhow::Error::from(self).into()),
        }
    }
}

impl<E: Refusal> From<E> for AppError {
    fn from(e: E) -> Self {
        match e.status() {
            None => anyhow::Error::from(e).into(),
            Some(StatusCode::NOT_FOUND) => AppError::NotFound,
            Some(status) => AppError::Refused {
                status,
                message: e.message(),
            },
        }
    }
}

impl Refusal for LoginError {
    fn status(&self) -> Option<StatusCode> {
        OURS
    }
}

impl Refusal for PoolError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotServable => NOT_FOUND,
            Self::Busy => Some(StatusCode::SERVICE_UNAVAILABLE),
            _ => OURS,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Busy => "This workspace is very busy right now. Try again in a moment.".into(),
            other => other.to_string(),
        }
    }
}

impl Refusal for DataError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Pool(e) => e.status(),
            _ => OURS,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Pool(e) => e.message(),
            other => other.to_string(),
        }
    }
}

impl Refusal for CreateError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::SlugTaken(_) => CONFLICT,
            // The fleet is full until an owner adds room: a state to change, not an outage
            // to wait out (a retry alone never succeeds).
            Self::NoCapacity => CONFLICT,
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        use crate::tenancy::slug::SlugError;
        match self {
            Self::SlugTaken(slug) => locale.t_with("err-slug-taken", &[("name", slug.as_str())]),
            Self::Slug(SlugError::Reserved(slug)) => {
                locale.t_with("err-slug-reserved", &[("name", slug.as_str())])
            }
            Self::UnknownPlan(plan) => locale.t_with("err-no-plan", &[("name", plan.as_str())]),
            Self::UnknownServer(server) => {
                locale.t_with("err-no-server", &[("name", server.as_str())])
            }
            Self::ServerDraining(server) => {
                locale.t_with("err-server-draining", &[("name", server.as_str())])
            }
            Self::ServerFull(server) => {
                locale.t_with("err-server-full", &[("name", server.as_str())])
            }
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for LifecycleError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Refused(_) => CONFLICT,
            Self::ConfirmationNeeded(_) => INVALID,
            Self::Db(_) | Self::Other(_) => OURS,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::ConfirmationNeeded(slug) => {
                locale.t_with("err-type-slug-to-purge", &[("name", slug.as_str())])
            }
            Self::Refused(why) => lifecycle_refused(why, locale),
            other => locale.message(&other.message()),
        }
    }
}

/// A lifecycle refusal in the reader's words: the status (and the action refused) said
/// through the text, the reasons without values found by their English words.
fn lifecycle_refused(why: &Refused, locale: &Locale) -> String {
    match why {
        Refused::DeleteBeforePurge(status) => locale.t_with(
            "err-delete-before-purge",
            &[("status", &locale.status(status.as_str()))],
        ),
        Refused::NotFrom { status, action } => locale.t_with(
            "err-tenant-cannot-be",
            &[
                ("status", &locale.status(status.as_str())),
                ("action", action.as_str()),
            ],
        ),
        other => locale.message(&other.to_string()),
    }
}

impl Refusal for ModuleError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unknown(_) => NOT_FOUND,
            Self::NotInPlan { .. } | Self::OverPlanLimit { .. } => FORBIDDEN,
            Self::ConfirmPurge(_) => INVALID,
            Self::Data(e) => e.status(),
            Self::Db(_) | Self::Other(_) => OURS,
            _ => CONFLICT,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Data(e) => e.message(),
            other => other.to_string(),
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::Unknown(id) => locale.t_with("err-no-module", &[("name", id.as_str())]),
            Self::NotInPlan { module, plan } => locale.t_with(
                "err-module-not-in-plan",
                &[("module", module.as_str()), ("plan", plan.as_str())],
            ),
            Self::OverPlanLimit { plan, max } => locale.t_with(
                "err-plan-module-limit",
                &[
                    ("plan", plan.as_str()),
                    ("limit", &locale.number(i64::from(*max))),
                ],
            ),
            Self::MissingDependency { module, missing } => locale.t_with(
                "err-module-needs",
                &[("module", module.as_str()), ("missing", missing.as_str())],
            ),
            Self::NeedsBillingDetails(module) => locale.t_with(
                "err-module-needs-billing-details",
                &[("name", module.as_str())],
            ),
            Self::NeededBy { module, dependent } => locale.t_with(
                "err-module-needed-by",
                &[("module", module.as_str()), ("names", dependent.as_str())],
            ),
            Self::AlreadyEnabled(module) => {
                locale.t_with("err-module-already-enabled", &[("name", module.as_str())])
            }
            Self::NotEnabled(module) => {
                locale.t_with("err-module-not-enabled", &[("name", module.as_str())])
            }
            Self::StillEnabled(module) => {
                locale.t_with("err-module-still-enabled", &[("name", module.as_str())])
            }
            Self::ConfirmPurge(id) => {
                locale.t_with("err-module-confirm-purge", &[("name", id.as_str())])
            }
            Self::DependentData { module, dependent } => locale.t_with(
                "err-module-dependent-data",
                &[("module", module.as_str()), ("names", dependent.as_str())],
            ),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for RegisterError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NameTaken => CONFLICT,
            Self::NotFound => NOT_FOUND,
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }
}

impl Refusal for MoveError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::UnknownServer(_) | Self::UnknownTier => INVALID,
            Self::Db(_) => OURS,
            // The target or the tenant's state refuses it (draining, full, unreachable,
            // occupied, the same place, a job in progress).
            _ => CONFLICT,
        }
    }
}

impl Refusal for MembershipError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotMember => NOT_FOUND,
            Self::UnknownRole => INVALID,
            Self::LastAdmin(_) => CONFLICT,
            Self::Db(_) => OURS,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::LastAdmin(email) => locale.t_with("err-last-admin", &[("name", email.as_str())]),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for InviteError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Email | Self::UnknownRole => INVALID,
            Self::NotFound => NOT_FOUND,
            Self::Mail(_) | Self::Db(_) => OURS,
            _ => CONFLICT,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::AlreadyMember(email) => {
                locale.t_with("err-already-member", &[("name", email.as_str())])
            }
            Self::AlreadyStaff(email) => {
                locale.t_with("err-already-staff", &[("name", email.as_str())])
            }
            Self::AlreadyInvited(email) => {
                locale.t_with("err-already-invited", &[("name", email.as_str())])
            }
            Self::UserLimit { plan, limit } => locale.t_with(
                "err-plan-user-limit",
                &[
                    ("plan", plan.as_str()),
                    ("limit", &locale.number(i64::from(*limit))),
                ],
            ),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for AcceptError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unknown => NOT_FOUND,
            Self::Expired | Self::Revoked | Self::Used => GONE,
            Self::WrongEmail => FORBIDDEN,
            Self::MustSignIn => CONFLICT,
            Self::Db(_) => OURS,
        }
    }
}

impl Refusal for RoleError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Duplicate(_) | Self::InUse { .. } => CONFLICT,
            Self::NotFound => NOT_FOUND,
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::Duplicate(name) => {
                locale.t_with("err-role-duplicate", &[("name", name.as_str())])
            }
            Self::UnknownModule(module) => {
                locale.t_with("err-no-module", &[("name", module.as_str())])
            }
            Self::UnknownLevel { module, value } => locale.t_with(
                "err-role-unknown-level",
                &[("name", value.as_str()), ("module", module.as_str())],
            ),
            Self::InUse {
                name,
                members,
                invitations,
            } => {
                let people = locale.t_n("err-role-members", *members);
                let invited = locale.t_n("err-role-invitations", *invitations);
                let holders = match (*members, *invitations) {
                    (_, 0) => people,
                    (0, _) => invited,
                    _ => format!("{people} {} {invited}", locale.t("pf-and")),
                };
                locale.t_with(
                    "err-role-in-use",
                    &[("name", name.as_str()), ("names", holders.as_str())],
                )
            }
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for SegmentError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NameTaken(_) | Self::AlreadyIn(_) | Self::NotIn(_) => CONFLICT,
            Self::NotFound => NOT_FOUND,
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::NameTaken(name) => locale.t_with("err-segment-taken", &[("name", name.as_str())]),
            Self::UnknownTenant(slug) => {
                locale.t_with("err-no-tenant-slug", &[("name", slug.as_str())])
            }
            Self::AlreadyIn(slug) => {
                locale.t_with("err-already-in-segment", &[("name", slug.as_str())])
            }
            Self::NotIn(slug) => locale.t_with("err-not-in-segment", &[("name", slug.as_str())]),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for StaffError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotFound => NOT_FOUND,
            Self::Yourself | Self::LastOwner(_) => CONFLICT,
            Self::Db(_) => OURS,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::LastOwner(email) => locale.t_with("err-last-owner", &[("name", email.as_str())]),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for CreateOwnerError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::EmailTaken | Self::SetupComplete => CONFLICT,
            Self::BadSetupToken => FORBIDDEN,
            Self::Db(_) => OURS,
        }
    }
}

impl Refusal for ResendError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotFound => NOT_FOUND,
            Self::AlreadySent => CONFLICT,
            Self::Db(_) => OURS,
        }
    }
}

impl Refusal for RequestError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Email => INVALID,
            Self::TooManyFromAddress => Some(StatusCode::TOO_MANY_REQUESTS),
            Self::Mail(_) | Self::Db(_) => OURS,
        }
    }
}

impl Refusal for CompleteError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Unknown => NOT_FOUND,
            Self::Expired | Self::Used => GONE,
            Self::Db(_) => OURS,
        }
    }
}

impl Refusal for DomainError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Taken => CONFLICT,
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }
}

/// A plan form's limit field by its label, in the reader's words.
fn plan_field(locale: &Locale, field: &str) -> String {
    locale.t(match field {
        "max_users" => "pf-users",
        "max_api_calls" => "pf-plan-api-calls",
        "max_rps" => "pf-plan-rps",
        "max_modules" => "usage-modules",
        _ => "pf-plan-pool-size",
    })
}

impl Refusal for PlanError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Taken(_) | Self::InUse { .. } => CONFLICT,
            Self::NotFound(_) => NOT_FOUND,
            Self::Invalid { .. } | Self::OutOfRange { .. } | Self::NotWhole { .. } => INVALID,
            Self::Db(_) => OURS,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        match self {
            Self::Taken(name) => locale.t_with("err-plan-taken", &[("name", name.as_str())]),
            // Bounds as digits: what the field takes, without grouping.
            Self::OutOfRange {
                field, min, max, ..
            } => locale.t_with(
                "err-plan-out-of-range",
                &[
                    ("name", plan_field(locale, field).as_str()),
                    ("first", min.to_string().as_str()),
                    ("last", max.to_string().as_str()),
                ],
            ),
            Self::NotWhole { field, .. } => locale.t_with(
                "err-plan-not-whole",
                &[("name", plan_field(locale, field).as_str())],
            ),
            Self::NotFound(id) => locale.t_with("err-no-plan", &[("name", id.as_str())]),
            Self::InUse { name, tenants } => locale.t_with(
                "err-plan-in-use",
                &[("name", name.as_str()), ("n", &locale.number(*tenants))],
            ),
            other => locale.message(&other.message()),
        }
    }
}

impl Refusal for UpdateError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::OverLimits { .. } => CONFLICT,
            Self::Stale => Some(StatusCode::PRECONDITION_FAILED),
            Self::Db(_) => OURS,
            _ => INVALID,
        }
    }

    fn message_in(&self, locale: &Locale) -> String {
        use crate::tenancy::plan_change::Limit;
        match self {
            Self::UnknownPlan(plan) => locale.t_with("err-no-plan", &[("name", plan.as_str())]),
            Self::OverLimits { tenant, plan, over } => {
                let lines: Vec<String> = over
                    .iter()
                    .map(|e| {
                        let (used, allowed) = match e.limit {
                            Limit::Storage => (locale.bytes(e.used), locale.bytes(e.allowed)),
                            _ => (locale.number(e.used), locale.number(e.allowed)),
                        };
                        let args = [("used", used.as_str()), ("limit", allowed.as_str())];
                        match e.limit {
                            Limit::Users => locale.t_with("err-over-users", &args),
                            Limit::Modules => locale.t_with("err-over-modules", &args),
                            Limit::ApiCalls => locale.t_with("err-over-api-calls", &args),
                            Limit::Storage => locale.t_with("err-over-storage", &args),
                        }
                    })
                    .collect();
                locale.t_with(
                    "err-over-plan-limits",
                    &[
                        ("name", tenant.as_str()),
                        ("plan", plan.as_str()),
                        ("names", &lines.join("; ")),
                    ],
                )
            }
            other => locale.message(&other.message()),
        }
    }
}
