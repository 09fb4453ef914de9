//! Integration tests of `meridian-store` (one binary; see the modules).

mod bad_input;
mod common;
mod kill9;
mod round_trip;
mod torn;
