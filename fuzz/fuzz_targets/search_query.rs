#![no_main]
//! `meridian_fuzz::search_query`; the target itself is in crates/meridian-fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| meridian_fuzz::search_query(data));
