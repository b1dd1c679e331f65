//! The application's shared state and the server loop that tests and `tenantry serve`
//! both use.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::config::Config;

/// Everything a handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The control-plane pool.
    pub db: PgPool,
    pub config: Arc<Config>,
    pub started_at: Instant,
    pub metrics: PrometheusHandle,
}

impl AppState {
    pub fn new(db: PgPool, config: Config) -> Self {
        Self {
            db,
            config: Arc::new(config),
            started_at: Instant::now(),
            metrics: crate::telemetry::metrics(),
        }
    }
}

/// Serves the app on `listener` until `shutdown` resolves, then finishes in-flight
/// requests before returning.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::web::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
