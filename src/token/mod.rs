//! Token authentication: signing keys, access tokens, refresh-token families, the denylist,
//! revoked subjects, and the inspection of any JWT.
//!
//! Built on jsonwebtoken 12 with its `aws_lc_rs` backend; keys are generated and checked with
//! aws-lc-rs itself.

pub mod access;
pub mod denylist;
mod der;
pub mod inspect;
pub mod jwks;
pub mod keys;
pub mod refresh;
pub mod subjects;

pub use denylist::Revocation;
