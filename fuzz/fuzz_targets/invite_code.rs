#![no_main]
//! `meridian_fuzz::invite_code`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::invite_code(data));
