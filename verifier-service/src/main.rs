//! `stele-verifier`: runs the verifier service.
//!
//! `stele-verifier [--config FILE] [--listen ADDR:PORT] [--data-dir DIR]
//! [--chain embedded:DIR|rpc:URL] [--deployment FILE] [--verifier-id ID]`.
//! Flags override `STELE_VERIFIER_*` environment variables, which override
//! the file. With nothing given it listens on 127.0.0.1:8080 with an
//! embedded chain in `./stele-verifier-data`.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use stele_verifier::apikey::ApiKey;
use stele_verifier::config::{Config, ENV_CONFIG, Overrides};

/// The verifier service: counter flow, VC-API, DID resolution, status lists.
#[derive(Parser)]
#[command(name = "stele-verifier", version)]
struct Args {
    /// The configuration file (TOML; see schemas/verifier-config.schema.json).
    #[arg(long, env = ENV_CONFIG)]
    config: Option<PathBuf>,
    /// Address and port to listen on (port 0: any free port).
    #[arg(long)]
    listen: Option<String>,
    /// The data directory (audit log, generated keys, embedded chain).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// embedded:DIR or rpc:URL.
    #[arg(long)]
    chain: Option<String>,
    /// The contract addresses (deployment.json).
    #[arg(long)]
    deployment: Option<PathBuf>,
    /// This verifier's identifier (the audience prefix of presentations).
    #[arg(long)]
    verifier_id: Option<String>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key, or over [tls]).
    #[arg(long, value_name = "PEM")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM")]
    tls_key: Option<PathBuf>,
    /// Print a new API key and the SHA-256 line for the configuration, then exit.
    #[arg(long, value_name = "counter|issuer")]
    generate_api_key: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(kind) = &args.generate_api_key {
        let key = match kind.as_str() {
            "counter" => ApiKey::generate_counter(&mut rand_core::OsRng),
            "issuer" => ApiKey::generate_issuer(&mut rand_core::OsRng),
            _ => {
                eprintln!("stele-verifier: --generate-api-key takes counter or issuer");
                return ExitCode::from(64);
            }
        };
        println!("{}", key.expose_secret());
        println!("api_key_sha256 = \"{}\"", key.sha256_hex());
        return ExitCode::SUCCESS;
    }
    let mut config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("stele-verifier: {e}");
                return ExitCode::from(64);
            }
        },
        None => Config::default(),
    };
    let flags = Overrides {
        listen: args.listen,
        data_dir: args.data_dir,
        chain: args.chain,
        deployment: args.deployment,
        verifier_id: args.verifier_id,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
    };
    let overrides = Overrides::from_env(|k| std::env::var(k).ok()).then(flags);
    if let Err(e) = config.apply(overrides) {
        eprintln!("stele-verifier: {e}");
        return ExitCode::from(64);
    }
    match stele_verifier::serve(config, stele_verifier::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stele-verifier: {e}");
            ExitCode::from(1)
        }
    }
}
