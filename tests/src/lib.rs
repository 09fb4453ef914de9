//! Whole-system tests for Meridian: they drive the built programs from the outside, the way
//! a user does. The tests live in `it/` (one integration-test binary); this library is
//! empty so the crate has nothing to depend on but the programs under test.
