#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| stele_fuzz_targets::data_integrity(data));
