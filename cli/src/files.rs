//! Reading inputs and writing key files safely.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use stele_core::key::SecretKey;
use zeroize::Zeroizing;

use crate::Failure;

/// Largest input file accepted (credentials, claims, trust files).
pub const MAX_INPUT: u64 = 4 << 20;

/// Reads `path` (or stdin for `-`) as UTF-8 text, capped at [`MAX_INPUT`].
pub fn read_text(path: &str, what: &str) -> Result<String, Failure> {
    let mut buf = Vec::new();
    let read = if path == "-" {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut buf)
    } else {
        fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
    };
    read.map_err(|e| Failure::usage(format!("cannot read {what} {path:?}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(Failure::usage(format!(
            "{what} {path:?} is larger than {MAX_INPUT} bytes"
        )));
    }
    String::from_utf8(buf).map_err(|_| Failure::usage(format!("{what} {path:?} is not UTF-8 text")))
}

/// Reads a private JWK key file.
pub fn read_key(path: &str) -> Result<SecretKey, Failure> {
    let text = Zeroizing::new(read_text(path, "key file")?);
    if let Ok(meta) = fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!("stele: warning: key file {path:?} is readable by others; chmod 600 it");
        }
    }
    SecretKey::from_private_jwk_json(&text)
        .map_err(|e| Failure::usage(format!("key file {path:?}: {e}")))
}

/// Writes `bytes` to `path` atomically with `mode`: a temporary file in the
/// same directory is written, synced and renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Failure::usage(format!("{} is not a file path", path.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(&dir).and_then(|d| d.sync_all())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| Failure::failed(format!("cannot write {}: {e}", path.display())))
}

/// Writes a secret key as a private JWK to `path` with mode 0600, atomically:
/// a temporary file in the same directory is written, synced and renamed, so
/// a crash leaves either no file or the whole file. Refuses to overwrite
/// unless `force`.
pub fn write_key(path: &Path, key: &SecretKey, force: bool) -> Result<(), Failure> {
    if path.exists() && !force {
        return Err(Failure::failed(format!(
            "{} already exists; pass --force to replace it",
            path.display()
        )));
    }
    let json = key.to_private_jwk_json();
    write_atomic(path, json.as_bytes(), 0o600)
}
