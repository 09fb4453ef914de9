//! Whole-system tests. Each module drives a built program from the outside (`layering`
//! reads the workspace's manifests through `cargo metadata`).

mod desktop;
mod layering;
