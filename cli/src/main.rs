//! `stele`: issue, present, verify and resolve verifiable credentials.
//!
//! A stable interface that scripts and tests rely on. Exit statuses:
//! 0 success (verified), 1 rejected / failed, 2 could not check (an
//! outage), 64 usage error (bad arguments, unreadable input files).

#![forbid(unsafe_code)]

/// `println!` that ignores a closed stdout (`stele verify … | head`) instead of panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

mod chain;
mod commands;
mod fetch;
mod files;
mod output;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit statuses (sysexits-style where one fits).
pub mod exit {
    /// Success; for `verify`, the credential verified.
    pub const OK: u8 = 0;
    /// Rejected (verify) or failed.
    pub const REJECTED: u8 = 1;
    /// Could not check: an outage of a resolver, trust or status source.
    pub const UNAVAILABLE: u8 = 2;
    /// Usage error: bad arguments, unreadable or invalid input files.
    pub const USAGE: u8 = 64;
}

/// A command failed: what to print and which exit status to use.
#[derive(Debug)]
pub struct Failure {
    /// Exit status.
    pub code: u8,
    /// One line for stderr, with no secrets and no claim values.
    pub message: String,
}

impl Failure {
    /// A usage error (exit 64).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.into(),
        }
    }
    /// A failure (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Failure {
            code: exit::REJECTED,
            message: message.into(),
        }
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputMode {
    /// Human-readable (the default on a terminal).
    Text,
    /// JSON (the default when stdout is not a terminal).
    Json,
}

#[derive(Parser)]
#[command(name = "stele", version, about = "Issue, present and verify verifiable credentials", long_about = None)]
struct Cli {
    /// Output format; defaults to text on a terminal and JSON otherwise.
    #[arg(long, global = true, value_enum)]
    output: Option<OutputMode>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage keys.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// Issue a credential (to stdout).
    Issue(commands::issue::IssueArgs),
    /// Present an SD-JWT credential to a verifier's challenge (to stdout).
    Present(commands::present::PresentArgs),
    /// Verify a credential or presentation; prints the verdict.
    Verify(commands::verify::VerifyArgs),
    /// Resolve a DID to its DID document (W3C DID Resolution result).
    Resolve(commands::resolve::ResolveArgs),
    /// Run the whole flow on this machine, explaining each step.
    Demo(commands::demo::DemoArgs),
    /// Set up the chain: deploy Stele's contracts.
    #[command(subcommand)]
    Chain(commands::chain::ChainCommand),
    /// Agencies (issuers anchored on the chain): create, rotate keys.
    #[command(subcommand)]
    Agency(commands::agency::AgencyCommand),
    /// Governance: accredit issuers for credential types.
    #[command(subcommand)]
    Trust(commands::trust::TrustCommand),
    /// Revoke, suspend and reinstate credentials; publish status lists.
    #[command(subcommand)]
    Status(commands::status::StatusCommand),
    /// A desktop wallet: hold credentials and answer counters' challenges.
    #[command(subcommand)]
    Wallet(commands::wallet::WalletCommand),
    /// Make a counter's challenge (nonce, verifier id, expiry, what it asks for) as a QR payload.
    Challenge(commands::challenge::ChallengeArgs),
    /// Operators: check a verifier service's audit log against its anchors on the chain.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::OK
                }
                _ => exit::USAGE,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let mode = output::resolve_mode(cli.output);
    let result = match cli.command {
        Command::Key(c) => commands::key::run(c, mode),
        Command::Issue(a) => commands::issue::run(a),
        Command::Present(a) => commands::present::run(a),
        Command::Verify(a) => commands::verify::run(a, mode),
        Command::Resolve(a) => commands::resolve::run(a, mode),
        Command::Demo(a) => commands::demo::run(a),
        Command::Chain(c) => commands::chain::run(c, mode),
        Command::Agency(c) => commands::agency::run(c, mode),
        Command::Trust(c) => commands::trust::run(c, mode),
        Command::Status(c) => commands::status::run(c, mode),
        Command::Wallet(c) => commands::wallet::run(c, mode),
        Command::Challenge(a) => commands::challenge::run(a, mode),
        Command::Audit(c) => commands::audit::run(c, mode),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("stele: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
