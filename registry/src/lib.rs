#![doc = include_str!("../README.md")]

pub mod chain;
pub mod contracts;
pub mod embedded;

pub use chain::{BlockRef, Chain, ChainError, Log, LogFilter, Receipt, TxRequest};
pub use embedded::{EmbeddedChain, EmbeddedConfig};
