//! Credentials: the data model, the formats that secure it, and the
//! credential types with their schemas.

pub mod jwt;
pub mod model;
pub mod schema;
