//! Bundles the JavaScript QR decoder of the clerk's page into the binary.
//!
//! The page's webcam scanning uses jsQR, pinned by `web/package-lock.json`.
//! This script copies `web/node_modules/jsqr/dist/jsQR.js` into `OUT_DIR`,
//! where `src/page.rs` embeds it with `include_bytes!`, so the binary serves
//! it itself (no CDN, no files beside the binary). When `node_modules` is
//! missing it runs `npm ci --prefix web` once; when that fails too (no npm,
//! no registry) the build still succeeds: a warning is printed, an empty
//! decoder is embedded, and the page runs in scanner-only mode with a note.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let web = manifest.join("web");
    let jsqr = web.join("node_modules/jsqr/dist/jsQR.js");

    println!("cargo:rerun-if-changed=build.rs");
    println!(
        "cargo:rerun-if-changed={}",
        web.join("package-lock.json").display()
    );
    // A missing file counts as changed, so a build without the decoder tries
    // again next time (after `npm ci`, or once the registry is reachable).
    println!("cargo:rerun-if-changed={}", jsqr.display());

    if !jsqr.is_file() {
        npm_ci(&web);
    }
    let target = out.join("jsQR.js");
    let bundled = jsqr.is_file() && std::fs::copy(&jsqr, &target).is_ok();
    if !bundled {
        println!(
            "cargo:warning=jsQR not found at {}: the clerk page is built without webcam \
             scanning (USB scanner only). Run `npm ci --prefix {}` and rebuild.",
            jsqr.display(),
            web.display()
        );
        // An empty script: the page sees no `jsQR` and says scanner-only mode.
        if let Err(e) = std::fs::write(&target, b"/* jsQR not bundled in this build */\n") {
            println!("cargo:warning=cannot write {}: {e}", target.display());
        }
    }
    println!(
        "cargo:rustc-env=STELE_PAGE_JSQR_BUNDLED={}",
        if bundled { "1" } else { "0" }
    );
}

/// `npm ci --prefix <web>`: installs exactly what the lock file pins,
/// without install scripts. Failure is reported, not fatal.
fn npm_ci(web: &Path) {
    if !web.join("package-lock.json").is_file() {
        return;
    }
    let status = Command::new("npm")
        .arg("ci")
        .arg("--prefix")
        .arg(web)
        .args([
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        // Cargo reads a build script's stdout as instructions: keep npm off it.
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => println!(
            "cargo:warning=`npm ci --prefix {}` failed ({s})",
            web.display()
        ),
        Err(e) => println!("cargo:warning=cannot run npm: {e}"),
    }
}
