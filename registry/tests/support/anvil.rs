//! A real Ethereum node for tests: Anvil from the pinned npm package
//! (`registry/node_modules`), started on 127.0.0.1 with a free port and
//! killed (by its own process handle) when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stele_registry::rpc::{ReqwestTransport, RpcChain};
use stele_registry::{Account, Chain};

/// The chain id every test node gets.
pub const CHAIN_ID: u64 = 31337;

/// Anvil's first well-known dev key (funded at genesis; public knowledge, tests only).
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

/// How long the node may take to start and answer.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running Anvil node; dropping it kills the process.
pub struct Anvil {
    child: Child,
    url: String,
}

/// The platform binary inside the npm package. The package's `bin.mjs` is a
/// Node wrapper that spawns this binary as a grandchild, which killing the
/// wrapper would leave running, so the binary is started directly.
fn binary() -> PathBuf {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../registry")
        .join("node_modules/@foundry-rs")
        .join(format!("anvil-{os}-{arch}"))
        .join("bin/anvil")
}

/// Whether the pinned Anvil is installed (`npm ci --prefix registry`).
#[allow(dead_code)] // used by the benches, not by every test crate
pub fn is_installed() -> bool {
    binary().is_file()
}

impl Anvil {
    /// Starts a node and waits until it answers `eth_chainId`.
    ///
    /// Panics with a hint when the pinned Anvil is not installed.
    pub fn start() -> Self {
        let bin = binary();
        assert!(
            bin.is_file(),
            "Anvil is not installed at {}: run `npm ci --prefix registry` \
             (or `npm install --prefix registry`) from the repository root",
            bin.display()
        );
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--chain-id", &CHAIN_ID.to_string()])
            .args([
                "--gas-price",
                "0",
                "--block-base-fee-per-gas",
                "0",
                "--disable-min-priority-fee",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        // From here on, the guard kills the process whatever happens.
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut node = Anvil {
            child,
            url: String::new(),
        };

        // Read the port it chose, then keep draining its log so it never
        // blocks on a full pipe.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.trim().strip_prefix("Listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.to_owned());
                    }
                }
            }
        });
        let addr = match rx.recv_timeout(START_TIMEOUT) {
            Ok(addr) => addr,
            Err(_) => panic!("Anvil did not report its address within {START_TIMEOUT:?}"),
        };
        node.url = format!("http://{addr}");

        let chain = node.chain();
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match chain.chain_id() {
                Ok(id) => {
                    assert_eq!(id, CHAIN_ID);
                    break;
                }
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("Anvil at {} did not answer: {e}", node.url),
            }
        }
        node
    }

    /// The node's JSON-RPC URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A JSON-RPC client of the node.
    pub fn chain(&self) -> RpcChain {
        let transport = ReqwestTransport::new().expect("HTTP client builds");
        RpcChain::new(&self.url, Arc::new(transport))
    }

    /// The funded dev account.
    pub fn account(&self) -> Account {
        Account::from_private_hex(DEV_KEY).expect("the well-known dev key is valid")
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
