//! `uniffi-bindgen`: UniFFI's documented bindgen entry point, built from the
//! workspace so the generator is exactly the `uniffi` version `stele-ffi` uses.
//!
//! ```text
//! cargo run -p uniffi-bindgen -- generate --library target/debug/libstele_ffi.so \
//!     --language kotlin --out-dir target/bindings/kotlin
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
