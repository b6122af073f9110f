#![doc = include_str!("../README.md")]

pub mod account;
pub mod agency;
pub mod chain;
pub mod contracts;
pub mod did_ethr;
pub mod did_web;
pub mod embedded;
pub mod fetch;
pub mod rpc;
pub mod status;
pub mod status_http;
pub mod trust;

pub use account::{Account, AccountError};
pub use chain::{BlockRef, Chain, ChainError, Log, LogFilter, Receipt, TxRequest};
pub use contracts::Deployment;
pub use did_web::WebResolver;
pub use embedded::{EmbeddedChain, EmbeddedConfig};
#[cfg(feature = "http")]
pub use fetch::GuardedFetcher;
pub use fetch::{Fetch, FetchError, FetchPolicy};
#[cfg(feature = "http")]
pub use rpc::ReqwestTransport;
pub use rpc::{HttpTransport, RpcChain, TransportError};
pub use status_http::{FallbackStatus, HttpStatus};
