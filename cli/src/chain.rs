//! `--chain embedded:DIR|rpc:URL`: which chain a command works against, and
//! where the contract addresses of that chain are kept.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use stele_registry::embedded::{EmbeddedChain, EmbeddedConfig};
use stele_registry::{Chain, ChainError, Deployment, ReqwestTransport, RpcChain};

use crate::{Failure, exit};

/// The default chain: an embedded chain in `./stele-data`.
pub const DEFAULT_CHAIN: &str = "embedded:./stele-data";

/// Chain selection, shared by every chain command.
#[derive(Args, Clone, Debug)]
pub struct ChainArgs {
    /// embedded:DIR (an in-process chain kept in DIR) or rpc:URL (any Ethereum JSON-RPC node).
    #[arg(long, env = "STELE_CHAIN", default_value = DEFAULT_CHAIN)]
    pub chain: String,
    /// The contract addresses (written by `stele chain init`); default: deployment.json
    /// in the embedded chain's directory, or ./stele-data/deployment.json for rpc.
    #[arg(long, env = "STELE_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,
}

enum Backend<'a> {
    Embedded(&'a Path),
    Rpc(&'a str),
}

impl ChainArgs {
    fn backend(&self) -> Result<Backend<'_>, Failure> {
        if let Some(dir) = self.chain.strip_prefix("embedded:") {
            Ok(Backend::Embedded(Path::new(dir)))
        } else if let Some(url) = self.chain.strip_prefix("rpc:") {
            Ok(Backend::Rpc(url))
        } else {
            Err(Failure::usage(format!(
                "--chain must be embedded:DIR or rpc:URL, not {:?}",
                self.chain
            )))
        }
    }

    /// Where the deployment file is.
    pub fn deployment_path(&self) -> Result<PathBuf, Failure> {
        if let Some(p) = &self.deployment {
            return Ok(p.clone());
        }
        Ok(match self.backend()? {
            Backend::Embedded(dir) => dir.join("deployment.json"),
            Backend::Rpc(_) => PathBuf::from("stele-data/deployment.json"),
        })
    }

    /// Opens the chain (creating an embedded one if `create`).
    pub fn open(&self, create: bool) -> Result<Arc<dyn Chain>, Failure> {
        match self.backend()? {
            Backend::Embedded(dir) => {
                if !create && !dir.join(stele_registry::embedded::CHAIN_FILE).exists() {
                    return Err(Failure::usage(format!(
                        "no embedded chain in {}; run `stele chain init` first",
                        dir.display()
                    )));
                }
                std::fs::create_dir_all(dir).map_err(|e| {
                    Failure::failed(format!("cannot create {}: {e}", dir.display()))
                })?;
                let chain =
                    EmbeddedChain::open(dir, EmbeddedConfig::default()).map_err(chain_failure)?;
                Ok(Arc::new(chain))
            }
            Backend::Rpc(url) => {
                let transport =
                    ReqwestTransport::new().map_err(|e| Failure::failed(e.to_string()))?;
                Ok(Arc::new(RpcChain::new(url, Arc::new(transport))))
            }
        }
    }

    /// Opens the chain and reads its deployment.
    pub fn load(&self) -> Result<(Arc<dyn Chain>, Deployment), Failure> {
        let path = self.deployment_path()?;
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Failure::usage(format!(
                "cannot read the contract addresses in {} ({e}); run `stele chain init` first",
                path.display()
            ))
        })?;
        let deployment: Deployment = serde_json::from_str(&text)
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        let chain = self.open(false)?;
        let id = chain.chain_id().map_err(chain_failure)?;
        if id != deployment.chain_id {
            return Err(Failure::usage(format!(
                "{} is for chain {} but the chain is {id}",
                path.display(),
                deployment.chain_id
            )));
        }
        Ok((chain, deployment))
    }
}

/// A chain error as a command failure: an outage exits 2 ("could not check").
pub fn chain_failure(e: ChainError) -> Failure {
    Failure {
        code: if e.is_unavailable() {
            exit::UNAVAILABLE
        } else {
            exit::REJECTED
        },
        message: format!("chain: {e}"),
    }
}
