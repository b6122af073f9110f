//! An agency (issuer) anchored on the chain: a did:ethr identity controlled
//! by a secp256k1 account, Ed25519 signing keys registered as
//! `did/pub/Ed25519/veriKey/base64` attributes, and its status lists.
//!
//! Everything secret lives in the agency file (JSON, written with mode 0600
//! by the CLI): [`Agency::to_json`] is the one place it is serialised.

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolCall;
use rand_core::CryptoRngCore;
use serde_json::{Value, json};
use stele_core::did::{Did, DidResolver, Relationship, ResolutionOptions};
use stele_core::key::{KeyType, SecretKey};
use stele_core::status::{StatusEntry, StatusList, StatusPurpose};
use zeroize::Zeroizing;

use crate::account::Account;
use crate::chain::{Chain, ChainError, TxRequest};
use crate::contracts::{DIDRegistry, Deployment, StatusLists};
use crate::did_ethr::{COMPROMISED_ATTRIBUTE, EthrDidResolver, text_bytes32};
use crate::status::list_id;

/// How long registered keys stay valid unless rotated: 100 years.
pub const KEY_VALIDITY_SECS: u64 = 100 * 365 * 86_400;

const ED25519_ATTRIBUTE: &str = "did/pub/Ed25519/veriKey/base64";

/// Why an agency operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgencyError {
    /// The chain refused or could not be reached.
    #[error("chain: {0}")]
    Chain(#[from] ChainError),
    /// The agency's own DID did not resolve as expected after a change.
    #[error("the agency's DID document does not list its key: {0}")]
    Document(String),
    /// The agency file is malformed.
    #[error("agency file: {0}")]
    File(String),
    /// A status index or list problem.
    #[error("status: {0}")]
    Status(String),
}

/// One signing key of the agency.
pub struct AgencyKey {
    /// The key.
    pub key: SecretKey,
    /// Its verification method id in the agency's DID document.
    pub kid: String,
    /// Rotated out (credentials it signed before stay valid).
    pub retired: bool,
    /// Marked compromised (credentials it signed are invalid).
    pub compromised: bool,
}

/// One status list the agency keeps.
pub struct ListState {
    /// The list credential URL (its on-chain id is the URL's keccak256).
    pub url: String,
    /// Revocation or suspension.
    pub purpose: StatusPurpose,
    /// The bits.
    pub list: StatusList,
    /// The last published version.
    pub version: u64,
}

/// An agency: identity, keys and status lists.
pub struct Agency {
    /// Display name.
    pub name: String,
    /// The chain id its DID lives on.
    pub chain_id: u64,
    controller: Account,
    /// Signing keys, oldest first.
    pub keys: Vec<AgencyKey>,
    /// Revocation and suspension lists (same indices in both).
    pub lists: Vec<ListState>,
    /// The next status index to hand out.
    pub next_index: u64,
}

impl Agency {
    /// Creates an agency: a new controller account, a new Ed25519 signing key
    /// registered on the registry, and empty revocation and suspension lists
    /// published under `status_base_url`.
    pub fn create(
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        name: &str,
        status_base_url: &str,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Agency, AgencyError> {
        let controller = Account::generate(rng);
        let did = EthrDidResolver::did_for(deployment.chain_id, controller.address());
        let base = status_base_url.trim_end_matches('/');
        let lists = [StatusPurpose::Revocation, StatusPurpose::Suspension]
            .into_iter()
            .map(|purpose| ListState {
                url: format!("{base}/{did}/{}-1", purpose.as_str()),
                purpose,
                list: StatusList::with_min_len(),
                version: 0,
            })
            .collect();
        let mut agency = Agency {
            name: name.to_owned(),
            chain_id: deployment.chain_id,
            controller,
            keys: Vec::new(),
            lists,
            next_index: 0,
        };
        agency.add_key(
            chain,
            deployment,
            SecretKey::generate(KeyType::Ed25519, rng),
        )?;
        for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
            agency.publish(chain, deployment, purpose)?;
        }
        Ok(agency)
    }

    /// The agency's DID.
    pub fn did(&self) -> String {
        EthrDidResolver::did_for(self.chain_id, self.controller.address())
    }

    /// The controller account's address (the DID's identity).
    pub fn address(&self) -> Address {
        self.controller.address()
    }

    /// The current signing key and its kid.
    pub fn signing_key(&self) -> Option<&AgencyKey> {
        self.keys
            .iter()
            .rev()
            .find(|k| !k.retired && !k.compromised)
    }

    /// Registers a new signing key and retires the current one (a rotation:
    /// credentials signed with the old key before now stay valid).
    pub fn rotate_key(
        &mut self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        rng: &mut impl CryptoRngCore,
    ) -> Result<(), AgencyError> {
        let old = self.signing_key().map(|k| k.key.public_key().to_bytes());
        self.add_key(
            chain,
            deployment,
            SecretKey::generate(KeyType::Ed25519, rng),
        )?;
        if let Some(old) = old {
            self.revoke_attribute(chain, deployment, ED25519_ATTRIBUTE, &old)?;
            if let Some(k) = self
                .keys
                .iter_mut()
                .find(|k| k.key.public_key().to_bytes() == old)
            {
                k.retired = true;
            }
        }
        Ok(())
    }

    /// Marks the key `kid` as compromised: every credential it signed becomes
    /// invalid, whatever its issuance time. Rotate first if it is the current key.
    pub fn mark_compromised(
        &mut self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        kid: &str,
    ) -> Result<(), AgencyError> {
        let raw = self
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| k.key.public_key().to_bytes())
            .ok_or_else(|| AgencyError::Document(format!("no key {kid}")))?;
        self.set_attribute(chain, deployment, COMPROMISED_ATTRIBUTE, &raw)?;
        if let Some(k) = self.keys.iter_mut().find(|k| k.kid == kid) {
            k.compromised = true;
            k.retired = true;
        }
        Ok(())
    }

    fn add_key(
        &mut self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        key: SecretKey,
    ) -> Result<(), AgencyError> {
        let raw = key.public_key().to_bytes();
        self.set_attribute(chain, deployment, ED25519_ATTRIBUTE, &raw)?;
        // The kid is the method id the registry's history gives the key.
        let resolver = EthrDidResolver::new(
            chain.clone(),
            deployment.did_registry,
            deployment.chain_id,
            &[],
        );
        let did = Did::parse(&self.did()).map_err(|e| AgencyError::Document(e.to_string()))?;
        let resolution = resolver
            .resolve(&did, &ResolutionOptions::default())
            .map_err(|e| AgencyError::Document(e.to_string()))?;
        let public = key.public_key();
        let kid = resolution
            .document
            .methods_for(Relationship::AssertionMethod)
            .into_iter()
            .find(|m| m.public_key().ok().as_ref() == Some(&public))
            .map(|m| m.id.clone())
            .ok_or_else(|| {
                AgencyError::Document("the new key is not an assertion method".into())
            })?;
        self.keys.push(AgencyKey {
            key,
            kid,
            retired: false,
            compromised: false,
        });
        Ok(())
    }

    fn set_attribute(
        &self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        name: &str,
        value: &[u8],
    ) -> Result<(), AgencyError> {
        let call = DIDRegistry::setAttributeCall {
            identity: self.address(),
            name: text_bytes32(name)
                .ok_or_else(|| AgencyError::Document("attribute name too long".into()))?,
            value: Bytes::copy_from_slice(value),
            validity: U256::from(KEY_VALIDITY_SECS),
        };
        self.send(chain, deployment.did_registry, call.abi_encode())
    }

    fn revoke_attribute(
        &self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        name: &str,
        value: &[u8],
    ) -> Result<(), AgencyError> {
        let call = DIDRegistry::revokeAttributeCall {
            identity: self.address(),
            name: text_bytes32(name)
                .ok_or_else(|| AgencyError::Document("attribute name too long".into()))?,
            value: Bytes::copy_from_slice(value),
        };
        self.send(chain, deployment.did_registry, call.abi_encode())
    }

    fn send(&self, chain: &Arc<dyn Chain>, to: Address, data: Vec<u8>) -> Result<(), AgencyError> {
        self.controller.send(
            chain.as_ref(),
            &TxRequest {
                to: Some(to),
                data: data.into(),
                gas: None,
            },
        )?;
        Ok(())
    }

    /// Hands out the next status index: one entry per list, same index.
    pub fn allocate_status(&mut self) -> Result<Vec<StatusEntry>, AgencyError> {
        let index = self.next_index;
        let len = self.lists.first().map_or(0, |l| l.list.len()) as u64;
        if index >= len {
            return Err(AgencyError::Status(
                "every status index of the lists is in use".into(),
            ));
        }
        self.next_index += 1;
        self.lists
            .iter()
            .map(|l| {
                StatusEntry::new(l.purpose, index, &l.url)
                    .map_err(|e| AgencyError::Status(e.to_string()))
            })
            .collect()
    }

    /// Sets or clears the `purpose` bit at `index` (local until published).
    pub fn set_status(
        &mut self,
        purpose: StatusPurpose,
        index: u64,
        value: bool,
    ) -> Result<(), AgencyError> {
        let list = self
            .lists
            .iter_mut()
            .find(|l| l.purpose == purpose)
            .ok_or_else(|| AgencyError::Status(format!("no {} list", purpose.as_str())))?;
        let i =
            usize::try_from(index).map_err(|_| AgencyError::Status("index out of range".into()))?;
        list.list
            .set(i, value)
            .map_err(|e| AgencyError::Status(e.to_string()))
    }

    /// Publishes the current `purpose` list on the chain as its next version.
    pub fn publish(
        &mut self,
        chain: &Arc<dyn Chain>,
        deployment: &Deployment,
        purpose: StatusPurpose,
    ) -> Result<(), AgencyError> {
        let identity = self.address();
        let Some(list) = self.lists.iter().find(|l| l.purpose == purpose) else {
            return Err(AgencyError::Status(format!("no {} list", purpose.as_str())));
        };
        let version = list.version + 1;
        let call = StatusLists::publishCall {
            identity,
            listId: list_id(&list.url),
            newVersion: version,
            encodedList: list.list.encode().into_bytes().into(),
        };
        self.send(chain, deployment.status_lists, call.abi_encode())?;
        if let Some(list) = self.lists.iter_mut().find(|l| l.purpose == purpose) {
            list.version = version;
        }
        Ok(())
    }

    /// The agency file: every key and list, as JSON (secret: write it with mode 0600).
    pub fn to_json(&self) -> Zeroizing<String> {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| {
                let private: Value = serde_json::from_str(&k.key.to_private_jwk_json()).unwrap_or(Value::Null);
                json!({"kid": k.kid, "retired": k.retired, "compromised": k.compromised, "jwk": private})
            })
            .collect();
        let controller: Value =
            serde_json::from_str(&self.controller.to_secret_key().to_private_jwk_json())
                .unwrap_or(Value::Null);
        let lists: Vec<Value> = self
            .lists
            .iter()
            .map(|l| json!({"url": l.url, "purpose": l.purpose.as_str(), "version": l.version, "encodedList": l.list.encode()}))
            .collect();
        let v = json!({
            "type": "SteleAgency",
            "name": self.name,
            "did": self.did(),
            "chainId": self.chain_id,
            "controller": controller,
            "keys": keys,
            "statusLists": lists,
            "nextStatusIndex": self.next_index,
        });
        Zeroizing::new(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n")
    }

    /// Reads an agency file.
    pub fn from_json(text: &str) -> Result<Agency, AgencyError> {
        let bad = |m: &str| AgencyError::File(m.to_owned());
        let v = stele_core::json::parse(
            text.as_bytes(),
            stele_core::json::JsonLimits {
                max_bytes: 8 << 20,
                max_depth: 16,
            },
        )
        .map_err(|e| AgencyError::File(e.to_string()))?;
        if v["type"] != "SteleAgency" {
            return Err(bad("not an agency file (type SteleAgency)"));
        }
        let jwk = |v: &Value| -> Result<SecretKey, AgencyError> {
            SecretKey::from_private_jwk_json(&v.to_string())
                .map_err(|e| AgencyError::File(e.to_string()))
        };
        let controller = Account::from_secret_key(&jwk(&v["controller"])?)
            .map_err(|e| AgencyError::File(e.to_string()))?;
        let keys = v["keys"]
            .as_array()
            .ok_or_else(|| bad("keys missing"))?
            .iter()
            .map(|k| {
                Ok(AgencyKey {
                    key: jwk(&k["jwk"])?,
                    kid: k["kid"]
                        .as_str()
                        .ok_or_else(|| bad("kid missing"))?
                        .to_owned(),
                    retired: k["retired"].as_bool().unwrap_or(false),
                    compromised: k["compromised"].as_bool().unwrap_or(false),
                })
            })
            .collect::<Result<Vec<_>, AgencyError>>()?;
        let lists = v["statusLists"]
            .as_array()
            .ok_or_else(|| bad("statusLists missing"))?
            .iter()
            .map(|l| {
                Ok(ListState {
                    url: l["url"]
                        .as_str()
                        .ok_or_else(|| bad("list url missing"))?
                        .to_owned(),
                    purpose: StatusPurpose::parse(l["purpose"].as_str().unwrap_or_default())
                        .map_err(|e| AgencyError::File(e.to_string()))?,
                    list: StatusList::decode(l["encodedList"].as_str().unwrap_or_default())
                        .map_err(|e| AgencyError::File(e.to_string()))?,
                    version: l["version"]
                        .as_u64()
                        .ok_or_else(|| bad("list version missing"))?,
                })
            })
            .collect::<Result<Vec<_>, AgencyError>>()?;
        let agency = Agency {
            name: v["name"].as_str().unwrap_or_default().to_owned(),
            chain_id: v["chainId"]
                .as_u64()
                .ok_or_else(|| bad("chainId missing"))?,
            controller,
            keys,
            lists,
            next_index: v["nextStatusIndex"]
                .as_u64()
                .ok_or_else(|| bad("nextStatusIndex missing"))?,
        };
        if v["did"].as_str() != Some(agency.did().as_str()) {
            return Err(bad("the did does not match the controller key"));
        }
        Ok(agency)
    }
}
