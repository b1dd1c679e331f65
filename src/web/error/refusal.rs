//! The one way a service's error becomes an HTTP answer. Each service error type says
//! here, once, which of its variants are refusals (the person asked for something the
//! rules do not allow, with the status that fits) and which are failures on our side
//! (logged, a 500). Handlers then use `?`, or [`Refusal::into_message`] where a refusal
//! is shown inside the form that caused it.
//!
//! The statuses are an HTTP concern, so they live here and not in the services.

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
use crate::tenancy::lifecycle::LifecycleError;
use crate::tenancy::modules::ModuleError;
use crate::tenancy::moves::MoveError;
use crate::tenancy::plan_change::UpdateError;
use crate::tenancy::pools::PoolError;
use crate::tenancy::servers::RegisterError;
use crate::tenancy::tenants::CreateError;

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
}

impl Refusal for LifecycleError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Refused(_) => CONFLICT,
            Self::ConfirmationNeeded(_) => INVALID,
            Self::Db(_) | Self::Other(_) => OURS,
        }
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
}

impl Refusal for StaffError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::NotFound => NOT_FOUND,
            Self::Yourself | Self::LastOwner(_) => CONFLICT,
            Self::Db(_) => OURS,
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

impl Refusal for PlanError {
    fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Taken(_) | Self::InUse { .. } => CONFLICT,
            Self::NotFound(_) => NOT_FOUND,
            Self::Invalid { .. } => INVALID,
            Self::Db(_) => OURS,
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
}
