//! First run and every run after: open the workspace in the data directory, creating one
//! with sensible defaults when the directory holds none.

use meridian_app::{ApiError, Workspace, default_data_dir};

const DEFAULT_NAME: &str = "My workspace";

pub async fn open_workspace() -> Result<Workspace, ApiError> {
    let dir = default_data_dir();
    let me = my_name();
    let tz = my_time_zone();
    tracing::info!(data_dir = %dir.display(), "opening workspace");
    Workspace::open_or_create(&dir, DEFAULT_NAME, &me, &tz)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, data_dir = %dir.display(), "cannot open the workspace");
            ApiError::from(e)
        })
}

/// The login name stands in for the member's display name until they change it.
fn my_name() -> String {
    std::env::var("USER")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "Me".to_owned())
}

fn my_time_zone() -> String {
    iana_time_zone::get_timezone().unwrap_or_else(|error| {
        tracing::warn!(%error, "system time zone unknown; using UTC");
        "UTC".to_owned()
    })
}
