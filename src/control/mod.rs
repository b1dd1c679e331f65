//! Control-plane entities: each file owns one table's queries and the rules around them.

pub mod api_tokens;
pub mod assignments;
pub mod audit;
pub mod billing;
pub mod changes;
pub mod domains;
pub mod handoff;
pub mod idempotency;
pub mod invitations;
pub mod login_attempts;
pub mod memberships;
pub mod metering;
pub mod onboarding;
pub mod outbox;
pub mod password_resets;
pub mod plans;
pub mod platform_tokens;
pub mod roles;
pub mod segments;
pub mod setup_tokens;
pub mod system;
pub mod usage;
pub mod users;
pub mod webhooks;
