//! `stele resolve`.

use clap::Args;
use stele_core::did::{
    Did, DidResolver, MethodResolver, ResolutionOptions, error_resolution_result,
};

use crate::{Failure, OutputMode, exit, output};

/// Arguments of `stele resolve`.
#[derive(Args)]
pub struct ResolveArgs {
    /// The DID to resolve.
    did: String,
    /// Resolve the document as it was at this time (RFC 3339).
    #[arg(long)]
    version_time: Option<String>,
    /// Resolve this version (a did:ethr block number).
    #[arg(long)]
    version_id: Option<String>,
    /// The chain did:ethr DIDs are read from.
    #[command(flatten)]
    chain: crate::chain::ChainArgs,
    /// Where did:web documents may be fetched from (`--allow-fetch HOST`).
    #[command(flatten)]
    fetch: crate::fetch::FetchArgs,
}

/// Runs `stele resolve`: prints a W3C DID Resolution result (always JSON).
pub fn run(a: ResolveArgs, _mode: OutputMode) -> Result<u8, Failure> {
    let options = ResolutionOptions {
        version_time: a
            .version_time
            .as_deref()
            .map(|t| super::parse_time(t, "--version-time"))
            .transpose()?,
        version_id: a.version_id.clone(),
    };
    let mut resolver = MethodResolver::default();
    if a.did.starts_with("did:ethr:") {
        let (chain, d) = a.chain.load()?;
        resolver = resolver.with(
            "ethr",
            stele_registry::did_ethr::EthrDidResolver::new(chain, d.did_registry, d.chain_id, &[]),
        );
    }
    let fetch = if a.did.starts_with("did:web:") {
        a.fetch.fetcher()?
    } else {
        None
    };
    resolver = crate::fetch::with_web(resolver, fetch.as_ref());
    let result = Did::parse(&a.did).and_then(|did| resolver.resolve(&did, &options));
    match result {
        Ok(r) => {
            output::print_json(&r.to_resolution_result());
            Ok(exit::OK)
        }
        Err(e) => {
            output::print_json(&error_resolution_result(&e));
            Ok(if e.is_unavailable() {
                exit::UNAVAILABLE
            } else {
                exit::REJECTED
            })
        }
    }
}
