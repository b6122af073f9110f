//! did tests
