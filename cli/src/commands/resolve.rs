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
}

/// Runs `stele resolve`: prints a W3C DID Resolution result (always JSON).
pub fn run(a: ResolveArgs, _mode: OutputMode) -> Result<u8, Failure> {
    let resolver = MethodResolver::default();
    let result =
        Did::parse(&a.did).and_then(|did| resolver.resolve(&did, &ResolutionOptions::default()));
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
