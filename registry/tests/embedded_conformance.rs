//! The embedded chain passes the same conformance suite as a real node.

mod conformance;

use std::path::PathBuf;
use std::sync::Arc;

use conformance::Backend;
use stele_registry::{Account, EmbeddedChain, EmbeddedConfig};

/// A scratch directory, removed when the backend is dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn backend() -> Backend {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("stele-conformance-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let chain = EmbeddedChain::open(&dir, EmbeddedConfig::default()).expect("embedded chain opens");
    Backend {
        chain: Arc::new(chain),
        // No balances on the embedded chain: any account can send at gas price 0.
        account: Account::generate(&mut rand_core::OsRng),
        _guard: Box::new(Scratch(dir)),
    }
}

conformance::chain_conformance!(embedded, backend());
