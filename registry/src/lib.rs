#![doc = include_str!("../README.md")]

pub mod chain;
pub mod contracts;
pub mod did_ethr;
pub mod status;
pub mod trust;

pub use chain::{BlockRef, Chain, ChainError, Log, LogFilter, Receipt, TxRequest};
