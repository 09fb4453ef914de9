//! Whole-system tests. Each module drives a built program from the outside (`layering`
//! reads the workspace's manifests through `cargo metadata`; `lan_discovery` runs devices
//! in network namespaces built by `netns`).

mod desktop;
mod lan_discovery;
mod layering;
mod netns;
