//! Credentials: the data model, the formats that secure it, and the credential types.

pub mod jwt;
pub mod model;
