#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

pub mod alg;
pub mod credential;
pub mod di;
pub mod did;
pub mod encoding;
pub mod jose;
pub mod json;
pub mod key;
pub mod qr;
pub mod sdjwt;
pub mod status;
pub mod time;
pub mod verify;
pub mod wallet;
