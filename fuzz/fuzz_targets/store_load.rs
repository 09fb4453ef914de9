#![no_main]
//! `meridian_fuzz::store_load`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::store_load(data));
