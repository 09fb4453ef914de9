#![no_main]
//! `meridian_fuzz::hours`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::hours(data));
