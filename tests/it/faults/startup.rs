//! The control plane unreachable at start: one clear line naming what could not be
//! reached and a non-zero exit, never a panic.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn slow_an_unreachable_control_plane_stops_the_start_with_a_clear_line() {
    // A port nothing listens on (bound, then released).
    let nowhere = free_addr();
    let url = format!("postgres://tenantry:secret@{nowhere}/tenantry");
    let mut serve = Serve::spawn(&["--database-url", &url], &[]);
    let status = serve.exit_status(Duration::from_secs(120)).await;
    let log = serve.log();
    assert!(!status.success(), "it must not start: {log}");
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(
        log.contains("could not connect to the control-plane database"),
        "{log}"
    );
    // Where it tried, without the password.
    assert!(log.contains(&nowhere.to_string()), "{log}");
    assert!(!log.contains("secret"), "the password is not logged: {log}");
    serve.assert_no_panic();
}
