//! Whole-system tests. Each module drives a built program from the outside (`layering`
//! reads the workspace's manifests through `cargo metadata`; `lan_discovery` runs devices
//! in network namespaces built by `netns`; `lan_sync` runs the `meridian` and
//! `meridian-relay` binaries there).

mod desktop;
mod lan_discovery;
mod lan_sync;
mod layering;
mod netns;
