//! Accreditation on the chain as core's [`TrustSource`]: "was this issuer
//! DID accredited for this credential type at this time" is one `eth_call`
//! of `Accreditation.isAccreditedAt`, and settled answers are kept.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use stele_core::time::Timestamp;
use stele_core::verify::{TrustError, TrustSource};

use crate::chain::{BlockRef, Chain};
use crate::contracts::Accreditation;

/// Most settled answers kept.
const SETTLED_CAPACITY: usize = 65_536;

/// The accreditation registry read through a [`Chain`].
///
/// "Accredited at t" for a t before the chain's current time is settled: the
/// registry never deletes an accreditation, and a withdrawal takes effect
/// from its own, later block time. Such answers are kept, so verifying a
/// credential issued before the latest block asks the chain once; every
/// other answer (not accredited, or a t not yet in the chain's past) is asked
/// again each time, so a new accreditation or a withdrawal is seen at once.
pub struct ChainTrust {
    chain: Arc<dyn Chain>,
    accreditation: Address,
    settled: Mutex<HashSet<(String, String, i64)>>,
}

impl ChainTrust {
    /// Reads the accreditation contract at `accreditation`.
    pub fn new(chain: Arc<dyn Chain>, accreditation: Address) -> Self {
        ChainTrust {
            chain,
            accreditation,
            settled: Mutex::new(HashSet::new()),
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
        let key = (issuer.to_owned(), credential_type.to_owned(), at.unix());
        if self.settled.lock().is_ok_and(|s| s.contains(&key)) {
            return Ok(true);
        }
        let at_secs = u64::try_from(at.unix()).unwrap_or(0);
        let call = Accreditation::isAccreditedAtCall {
            issuer: key.0.clone(),
            credentialType: key.1.clone(),
            at: at_secs,
        };
        let out = self
            .chain
            .call(self.accreditation, &call.abi_encode(), BlockRef::Latest)
            .map_err(|e| TrustError::Unavailable(e.to_string()))?;
        let answer = Accreditation::isAccreditedAtCall::abi_decode_returns(&out).map_err(|_| {
            TrustError::Unavailable(
                "the accreditation registry gave no answer (is it deployed here?)".into(),
            )
        })?;
        if answer.accredited && at_secs < answer.chainTime {
            if let Ok(mut s) = self.settled.lock() {
                if s.len() >= SETTLED_CAPACITY {
                    s.clear();
                }
                s.insert(key);
            }
        }
        Ok(answer.accredited)
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
