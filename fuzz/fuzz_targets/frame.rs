#![no_main]
//! `meridian_fuzz::frame`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::frame(data));
