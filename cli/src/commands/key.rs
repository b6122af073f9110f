//! `stele key new`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;
use stele_core::did::key::did_key_from_public;
use stele_core::key::{KeyType, SecretKey};

use crate::{Failure, OutputMode, exit, files, output};

/// Key commands.
#[derive(Subcommand)]
pub enum KeyCommand {
    /// Generate a key; writes the private JWK (mode 0600) and prints its did:key.
    New(NewArgs),
}

/// Arguments of `stele key new`.
#[derive(Args)]
pub struct NewArgs {
    /// Key algorithm: ed25519, p256 or secp256k1.
    #[arg(long, default_value = "ed25519")]
    alg: String,
    /// Where to write the private JWK.
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

/// Runs a key command.
pub fn run(cmd: KeyCommand, mode: OutputMode) -> Result<u8, Failure> {
    match cmd {
        KeyCommand::New(a) => {
            let kt = KeyType::from_name(&a.alg).map_err(|_| {
                Failure::usage(format!(
                    "--alg must be ed25519, p256 or secp256k1, not {:?}",
                    a.alg
                ))
            })?;
            let key = SecretKey::generate(kt, &mut rand_core::OsRng);
            files::write_key(&a.out, &key, a.force)?;
            let did = did_key_from_public(&key.public_key());
            match mode {
                OutputMode::Text => outln!("{did}"),
                OutputMode::Json => output::print_json(&json!({
                    "did": did.as_str(),
                    "alg": kt.algorithm().jose_name(),
                    "key_file": a.out.display().to_string(),
                })),
            }
            Ok(exit::OK)
        }
    }
}
