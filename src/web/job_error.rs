//! A job's recorded error as staff read it: where it failed in the reader's words
//! (`tenancy::progress::failed_at` takes the record apart), the technical cause as it
//! was recorded, untranslated, so it can be searched and quoted.

use crate::tenancy::progress::{self, FailedAt};
use crate::web::i18n::Locale;

impl Locale {
    /// `error` (a tenant's or a job's `last_error`) framed in this language.
    pub fn job_error(&self, error: &str) -> String {
        match progress::failed_at(error) {
            FailedAt::Step(step, cause) => self.t_with(
                "job-step-failed",
                &[("step", &self.message(step.label())), ("error", cause)],
            ),
            FailedAt::Migration(cause) => self.t_with("job-migration-failed", &[("error", cause)]),
            FailedAt::Cause(cause) => cause.to_owned(),
        }
    }
}
