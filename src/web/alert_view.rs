//! An alert's banner in the reader's words: the values the alert kept
//! ([`Words`]) said through the console's texts, numbers and sizes in the reader's
//! format. An alert raised before it kept them shows the English it was announced with.

use crate::tenancy::alerts::{self, Active, Words};
use crate::web::i18n::Locale;

impl Locale {
    /// The banner's sentence for `alert`.
    pub fn alert(&self, alert: &Active) -> String {
        let Some(words) = &alert.words else {
            return alert.message.clone();
        };
        match words {
            Words::Limit {
                tenant,
                plan,
                metric,
                used,
                max,
                percent,
            } => {
                let what = self.t(&format!("alert-limit-{}", alerts::metric_text(metric)));
                let amount = |n: i64| {
                    if metric == "storage" {
                        self.bytes(n)
                    } else {
                        self.number(n)
                    }
                };
                let (used_text, max_text) = (amount(*used), amount(*max));
                let percent = self.number(*percent);
                let args = [
                    ("name", tenant.as_str()),
                    ("what", what.as_str()),
                    ("used", used_text.as_str()),
                    ("max", max_text.as_str()),
                    ("plan", plan.as_str()),
                    ("percent", percent.as_str()),
                ];
                match alerts::degree(*used, *max, alert.threshold) {
                    "over" => self.t_with("alert-over", &args),
                    "reached" => self.t_with("alert-reached", &args),
                    _ => self.t_with("alert-near", &args),
                }
            }
            Words::Failure { tenant, job, .. } => {
                self.t_with("alert-failed", &[("name", tenant), ("job", job)])
            }
            Words::Server {
                server,
                metric,
                used,
                max,
                percent,
            } => {
                let (used, max, percent) =
                    (self.number(*used), self.number(*max), self.number(*percent));
                let args = [
                    ("name", server.as_str()),
                    ("used", used.as_str()),
                    ("max", max.as_str()),
                    ("percent", percent.as_str()),
                ];
                if metric == "connections" {
                    self.t_with("alert-server-connections", &args)
                } else {
                    self.t_with("alert-server-capacity", &args)
                }
            }
        }
    }
}
