//! Credentials: the data model, the formats that secure it, and the
//! credential types with their schemas.

pub mod issuer;
pub mod jwt;
pub mod model;
pub mod schema;
