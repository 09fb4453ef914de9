#![no_main]
//! `meridian_fuzz::key_file`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::key_file(data));
