//! Verifiable credentials: the credential types Stele knows and their claim schemas.

pub mod schema;
