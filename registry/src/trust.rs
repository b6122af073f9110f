//! Accreditation on the chain as core's [`TrustSource`]: "was this issuer
//! DID accredited for this credential type at this time" is one `eth_call`
//! of `Accreditation.isAccredited`.

use std::sync::Arc;

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use stele_core::time::Timestamp;
use stele_core::verify::{TrustError, TrustSource};

use crate::chain::{BlockRef, Chain};
use crate::contracts::Accreditation;

/// The accreditation registry read through a [`Chain`].
pub struct ChainTrust {
    chain: Arc<dyn Chain>,
    accreditation: Address,
}

impl ChainTrust {
    /// Reads the accreditation contract at `accreditation`.
    pub fn new(chain: Arc<dyn Chain>, accreditation: Address) -> Self {
        ChainTrust {
            chain,
            accreditation,
        }
    }
}

impl TrustSource for ChainTrust {
    fn is_accredited(
        &self,
        issuer: &str,
        credential_type: &str,
        at: Timestamp,
    ) -> Result<bool, TrustError> {
        let call = Accreditation::isAccreditedCall {
            issuer: issuer.to_owned(),
            credentialType: credential_type.to_owned(),
            at: u64::try_from(at.unix()).unwrap_or(0),
        };
        let out = self
            .chain
            .call(self.accreditation, &call.abi_encode(), BlockRef::Latest)
            .map_err(|e| TrustError::Unavailable(e.to_string()))?;
        Accreditation::isAccreditedCall::abi_decode_returns(&out).map_err(|_| {
            TrustError::Unavailable(
                "the accreditation registry gave no answer (is it deployed here?)".into(),
            )
        })
    }
}

/// Governance: accredits `issuer` for `credential_type` from `from` until
/// `until` (Unix seconds), sent by the governance account `governor`.
pub fn accredit(
    chain: &dyn Chain,
    accreditation: Address,
    governor: &crate::Account,
    issuer: &str,
    credential_type: &str,
    from: u64,
    until: u64,
) -> Result<crate::Receipt, crate::ChainError> {
    let call = Accreditation::accreditCall {
        issuer: issuer.to_owned(),
        credentialType: credential_type.to_owned(),
        validFrom: from,
        validUntil: until,
    };
    governor.send(
        chain,
        &crate::TxRequest {
            to: Some(accreditation),
            data: call.abi_encode().into(),
            gas: None,
        },
    )
}

/// Governance: withdraws every accreditation of `issuer` for `credential_type` from now on.
pub fn revoke(
    chain: &dyn Chain,
    accreditation: Address,
    governor: &crate::Account,
    issuer: &str,
    credential_type: &str,
) -> Result<crate::Receipt, crate::ChainError> {
    let call = Accreditation::revokeCall {
        issuer: issuer.to_owned(),
        credentialType: credential_type.to_owned(),
    };
    governor.send(
        chain,
        &crate::TxRequest {
            to: Some(accreditation),
            data: call.abi_encode().into(),
            gas: None,
        },
    )
}
