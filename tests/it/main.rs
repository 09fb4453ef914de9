//! Whole-system tests. Each module drives a built program from the outside.

mod desktop;
