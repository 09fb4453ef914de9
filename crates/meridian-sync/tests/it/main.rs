//! Integration tests for meridian-sync: one binary, one module per area.

mod bounds;
mod envelope;
mod fuzz;
mod hostile;
mod invite;
mod membership;
mod session;
mod sim;
mod support;
