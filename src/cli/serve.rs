//! `tenantry serve`: open the control plane, announce first-run setup, serve until
//! SIGINT/SIGTERM, finish in-flight requests, stop the embedded cluster.

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::control::{login_attempts, setup_tokens, users};
use crate::mail::{transport, webhook, worker as mail_worker};
use crate::pg::control_db::ControlDb;
use crate::state::AppState;
use crate::telemetry;
use crate::tenancy::worker;
use crate::web::serve;

pub async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init_logging(&config.log_filter, config.log_json);
    // A bad SMTP URL or sender stops the start before anything else begins.
    let mailer = transport::Mailer::from_config(&config)?;
    let webhook = webhook::Webhook::from_config(&config)?;
    let db = ControlDb::open(&config.db).await?;
    let state = AppState::build(&db, config.clone()).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("could not listen on {}", config.listen))?;

    announce_setup(&state).await?;
    let housekeeping = tokio::spawn(housekeeping(state.clone()));
    let sampler = tokio::spawn(sample_storage(state.clone()));
    let alerts = tokio::spawn(check_alerts(state.clone()));
    let (stop_worker, worker_stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(worker::run_forever(
        state.tenancy.clone(),
        worker_stopped.clone(),
    ));
    announce_mail(&config);
    let hooks = webhook.map(|hook| {
        tracing::info!("alert events go to the webhook at {}", hook.describe());
        tokio::spawn(webhook::run_forever(
            state.db.clone(),
            hook,
            state.config.clone(),
            worker_stopped.clone(),
        ))
    });
    let mail = tokio::spawn(mail_worker::run_forever(
        state.db.clone(),
        mailer,
        state.config.clone(),
        worker_stopped,
    ));
    tracing::info!(listen = %config.listen, "Tenantry is serving; platform console at {}", config.admin_url());

    let instance = state.instance.clone();
    let served = serve(listener, state, shutdown_signal()).await;
    if let Err(e) = instance.deregister().await {
        tracing::warn!(error = %e, "could not leave the instance registry (others time it out)");
    }
    housekeeping.abort();
    sampler.abort();
    alerts.abort();
    let _ = stop_worker.send(true);
    let _ = worker.await;
    let _ = mail.await;
    if let Some(hooks) = hooks {
        let _ = hooks.await;
    }
    tracing::info!("in-flight requests finished; stopping");
    db.close().await;
    served.context("the HTTP server failed")
}

/// While no owner exists, logs a one-time link that lets one visitor create the first.
pub async fn announce_setup(state: &AppState) -> anyhow::Result<()> {
    if users::owner_exists(&state.db).await? {
        return Ok(());
    }
    let token = setup_tokens::issue(&state.db).await?;
    tracing::warn!(
        "No enterprise admin exists yet. Open {}/setup?token={token} to create the first one \
         (the link works once), or run `tenantry admin create --email you@example.com`.",
        state.config.admin_url()
    );
    Ok(())
}

/// Says where mail goes (never the SMTP credentials).
fn announce_mail(config: &Config) {
    match &config.smtp_url {
        Some(url) => tracing::info!(
            "sending mail through {} as {}",
            transport::describe(url.expose()),
            config.mail_from
        ),
        None => tracing::info!(
            "no SMTP server configured (TENANTRY_SMTP_URL): mail stays in the outbox and \
             each message's link is logged once"
        ),
    }
}

/// Every `TENANTRY_STORAGE_SAMPLE_SECS`: every tenant's storage, for the storage limit
/// and the usage charts.
async fn sample_storage(state: AppState) {
    let every = std::time::Duration::from_secs(state.config.storage_sample_secs);
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = crate::tenancy::stats::sample_storage(&state.tenancy).await {
            tracing::warn!(error = %format!("{e:#}"), "storage sampling failed");
        }
    }
}

/// Every `TENANTRY_ALERT_CHECK_SECS`: announce limits, failures and servers that crossed
/// a threshold (one instance at a time; see `tenancy::alerts`).
async fn check_alerts(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(
        state.config.alert_check_secs,
    ));
    loop {
        tick.tick().await;
        // A failed check is logged by its instrument and tried again at the next tick.
        let _ = crate::tenancy::alerts::check(&state.tenancy, &state.config).await;
    }
}

/// Hourly: drop expired sessions and old sign-in attempts, roll old usage days up into
/// months, forget idle rate-limit buckets.
async fn housekeeping(state: AppState) {
    let sessions = tower_sessions_sqlx_store::PostgresStore::new(state.db.clone());
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = tower_sessions::ExpiredDeletion::delete_expired(&sessions).await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        if let Err(e) = login_attempts::prune(&state.db).await {
            tracing::warn!(error = %e, "could not prune sign-in attempts");
        }
        if let Err(e) =
            crate::control::metering::roll_up(&state.db, state.config.usage_retention_days).await
        {
            tracing::warn!(error = %e, "could not roll old usage days up into months");
        }
        state.throttle.forget_idle();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
