//! did:ethr resolution on Stele's ERC-1056-compatible registry, following the
//! did:ethr method specification: `changed(identity)` names the block of the
//! latest change; the events of that block carry `previousChange`, and the
//! walk goes back to the first change. The document is then built from the
//! events in order: owner changes, delegates and `did/pub/...` keys with
//! their validity, `did/svc/...` services, deactivation when the owner is
//! the zero address.
//!
//! Histories are cached per identity keyed by the `changed` block, so
//! resolving an unchanged DID again costs one `eth_call`.
//!
//! Stele extension: an attribute `stele/compromised` whose value is a key's
//! raw bytes marks that key as compromised. A compromised key is left out of
//! every version of the document, so credentials it signed are invalid
//! whatever issuance time they claim — unlike an ordinary rotation, after
//! which credentials signed before the rotation stay valid. Other did:ethr
//! resolvers ignore the attribute.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolEvent};
use serde_json::{Value, json};
use stele_core::did::{
    Did, DidDocument, DidError, DidResolver, DocumentMetadata, MethodRef, Resolution,
    ResolutionOptions, VerificationMethod,
};
use stele_core::time::Timestamp;

use crate::chain::{BlockRef, Chain, ChainError, LogFilter};
use crate::contracts::DIDRegistry;

/// The attribute name that marks a key as compromised (Stele extension).
pub const COMPROMISED_ATTRIBUTE: &str = "stele/compromised";

/// Most events read for one identity.
pub const MAX_HISTORY: usize = 10_000;

/// One change of an identity, from the registry's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `DIDOwnerChanged`.
    Owner(Address),
    /// `DIDDelegateChanged`.
    Delegate {
        /// `veriKey` or `sigAuth`.
        delegate_type: String,
        /// The delegate account.
        delegate: Address,
        /// Valid until (Unix seconds).
        valid_to: u64,
    },
    /// `DIDAttributeChanged`.
    Attribute {
        /// `did/pub/...`, `did/svc/...`, or another name.
        name: String,
        /// The raw value.
        value: Vec<u8>,
        /// Valid until (Unix seconds); 0 = revoked.
        valid_to: u64,
    },
}

/// A change with where and when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Block number.
    pub block: u64,
    /// Block timestamp (Unix seconds).
    pub timestamp: u64,
    /// Log index within the block.
    pub log_index: u64,
    /// What changed.
    pub change: Change,
}

#[derive(Clone)]
struct History {
    changed: u64,
    events: Arc<Vec<Event>>,
}

/// Resolves `did:ethr:<network>:<address|public key>` against one registry.
pub struct EthrDidResolver {
    chain: Arc<dyn Chain>,
    registry: Address,
    chain_id: u64,
    aliases: Vec<String>,
    cache: Mutex<HashMap<Address, History>>,
}

impl EthrDidResolver {
    /// A resolver for DIDs on chain `chain_id` whose registry is at `registry`.
    /// The network part of a DID must be the chain id in hex (`0x7a69`) or one of `aliases`.
    pub fn new(chain: Arc<dyn Chain>, registry: Address, chain_id: u64, aliases: &[&str]) -> Self {
        EthrDidResolver {
            chain,
            registry,
            chain_id,
            aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The DID of `address` on this resolver's chain: `did:ethr:0x<chain id>:0x<address>`.
    pub fn did_for(chain_id: u64, address: Address) -> String {
        format!("did:ethr:0x{chain_id:x}:{}", address.to_checksum(None))
    }

    /// The identity (address) a did:ethr names, and its public key if the DID is a key DID.
    pub fn identity(&self, did: &Did) -> Result<(Address, Option<Vec<u8>>), DidError> {
        let invalid =
            |why: &str| DidError::InvalidDid(format!("{}: {why}", truncate(did.as_str())));
        let msid = did.method_specific_id();
        let (network, id) = match msid.rsplit_once(':') {
            Some((n, id)) => (n, id),
            None => ("mainnet", msid),
        };
        let hex_id = format!("0x{:x}", self.chain_id);
        if !(network.eq_ignore_ascii_case(&hex_id) || self.aliases.iter().any(|a| a == network)) {
            return Err(invalid("network not served by this resolver"));
        }
        let hex = id
            .strip_prefix("0x")
            .ok_or_else(|| invalid("identifier must be 0x-prefixed hex"))?;
        let bytes =
            alloy_primitives::hex::decode(hex).map_err(|_| invalid("identifier is not hex"))?;
        match bytes.len() {
            20 => Ok((Address::from_slice(&bytes), None)),
            33 => {
                let key = k256::PublicKey::from_sec1_bytes(&bytes)
                    .map_err(|_| invalid("not a secp256k1 public key"))?;
                let point =
                    k256::elliptic_curve::sec1::ToEncodedPoint::to_encoded_point(&key, false);
                let hash = alloy_primitives::keccak256(&point.as_bytes()[1..]);
                Ok((Address::from_slice(&hash[12..]), Some(bytes)))
            }
            _ => Err(invalid(
                "identifier must be an address or a compressed public key",
            )),
        }
    }

    /// The identity's history, from the cache if `changed` did not move.
    pub fn history(&self, identity: Address) -> Result<Arc<Vec<Event>>, DidError> {
        let changed = self.call_u256(DIDRegistry::changedCall(identity).abi_encode())?;
        let changed = u64::try_from(changed)
            .map_err(|_| DidError::InvalidDocument("changed overflows".into()))?;
        if let Some(h) = self
            .cache
            .lock()
            .ok()
            .and_then(|c| c.get(&identity).cloned())
        {
            if h.changed == changed {
                return Ok(h.events);
            }
        }
        let events = Arc::new(self.walk(identity, changed)?);
        if let Ok(mut c) = self.cache.lock() {
            c.insert(
                identity,
                History {
                    changed,
                    events: events.clone(),
                },
            );
        }
        Ok(events)
    }

    fn call_u256(&self, data: Vec<u8>) -> Result<U256, DidError> {
        let out = self
            .chain
            .call(self.registry, &data, BlockRef::Latest)
            .map_err(chain_error)?;
        if out.len() < 32 {
            return Err(DidError::InvalidDocument(
                "the registry answered no value (is it deployed here?)".into(),
            ));
        }
        Ok(U256::from_be_slice(&out[..32]))
    }

    fn walk(&self, identity: Address, changed: u64) -> Result<Vec<Event>, DidError> {
        let topic = B256::left_padding_from(identity.as_slice());
        let mut events = Vec::new();
        let mut block = changed;
        let mut timestamps = BTreeMap::new();
        while block > 0 {
            let logs = self
                .chain
                .logs(&LogFilter {
                    address: self.registry,
                    from_block: block,
                    to_block: Some(block),
                    topics: vec![None, Some(topic)],
                })
                .map_err(chain_error)?;
            let timestamp = match timestamps.get(&block) {
                Some(t) => *t,
                None => {
                    let t = self.chain.block_timestamp(block).map_err(chain_error)?;
                    timestamps.insert(block, t);
                    t
                }
            };
            let mut previous = 0u64;
            let mut found = false;
            for log in logs.iter().rev() {
                let Some((change, prev)) = decode(&log.topics, &log.data) else {
                    continue;
                };
                found = true;
                if prev < block {
                    previous = previous.max(prev);
                }
                events.push(Event {
                    block,
                    timestamp,
                    log_index: log.log_index,
                    change,
                });
                if events.len() > MAX_HISTORY {
                    return Err(DidError::TooLarge);
                }
            }
            if !found {
                return Err(DidError::InvalidDocument(format!(
                    "no registry event at block {block}, which changed() names"
                )));
            }
            block = previous;
        }
        events.reverse();
        events.sort_by_key(|e| (e.block, e.log_index));
        Ok(events)
    }

    /// Builds the document of `did` from `events` as of `options`.
    pub fn document(
        &self,
        did: &Did,
        public_key: Option<&[u8]>,
        identity: Address,
        events: &[Event],
        options: &ResolutionOptions,
        now: u64,
    ) -> Result<Resolution, DidError> {
        let cut = match (&options.version_id, options.version_time) {
            (Some(id), _) => {
                let block: u64 = id
                    .parse()
                    .map_err(|_| DidError::NotFound(format!("versionId {id:?}")))?;
                Cut::Block(block)
            }
            (None, Some(t)) => Cut::Time(u64::try_from(t.unix()).unwrap_or(0)),
            (None, None) => Cut::None,
        };
        let included = |e: &Event| match cut {
            Cut::Block(b) => e.block <= b,
            Cut::Time(t) => e.timestamp <= t,
            Cut::None => true,
        };
        // Keys are judged valid at the version time, or now for the latest version.
        let at = match cut {
            Cut::Time(t) => t,
            Cut::Block(_) | Cut::None => now,
        };
        let compromised: Vec<&[u8]> = events
            .iter()
            .filter_map(|e| match &e.change {
                Change::Attribute {
                    name,
                    value,
                    valid_to,
                } if name == COMPROMISED_ATTRIBUTE && *valid_to > 0 => Some(value.as_slice()),
                _ => None,
            })
            .collect();

        let did_str = did.as_str();
        let mut owner = identity;
        let mut delegate_count = 0u32;
        let mut service_count = 0u32;
        // key → (id, method, relationships) in insertion order
        let mut methods: Vec<(String, VerificationMethod, Vec<Rel>)> = Vec::new();
        let mut services: Vec<(String, Value)> = Vec::new();
        let mut last: Option<&Event> = None;
        let mut next: Option<&Event> = None;
        for e in events {
            if !included(e) {
                if next.is_none() {
                    next = Some(e);
                }
                continue;
            }
            last = Some(e);
            match &e.change {
                Change::Owner(o) => owner = *o,
                Change::Delegate {
                    delegate_type,
                    delegate,
                    valid_to,
                } => {
                    delegate_count += 1;
                    let key = format!("delegate-{delegate_type}-{delegate}");
                    methods.retain(|(k, _, _)| *k != key);
                    if *valid_to > at {
                        let rels = match delegate_type.as_str() {
                            "sigAuth" => vec![Rel::Auth, Rel::Assert],
                            "veriKey" => vec![Rel::Assert],
                            _ => continue,
                        };
                        let vm = VerificationMethod {
                            id: format!("{did_str}#delegate-{delegate_count}"),
                            type_: "EcdsaSecp256k1RecoveryMethod2020".into(),
                            controller: did_str.into(),
                            blockchain_account_id: Some(format!(
                                "eip155:{}:{}",
                                self.chain_id,
                                delegate.to_checksum(None)
                            )),
                            ..VerificationMethod::default()
                        };
                        methods.push((key, vm, rels));
                    }
                }
                Change::Attribute {
                    name,
                    value,
                    valid_to,
                } => {
                    let parts: Vec<&str> = name.split('/').collect();
                    match parts.as_slice() {
                        ["did", "pub", algo, purpose, rest @ ..] => {
                            delegate_count += 1;
                            let key =
                                format!("pub-{name}-{}", alloy_primitives::hex::encode(value));
                            methods.retain(|(k, _, _)| *k != key);
                            if *valid_to <= at || compromised.contains(&value.as_slice()) {
                                continue;
                            }
                            let encoding = rest.first().copied().unwrap_or("hex");
                            let Some(vm) =
                                key_method(did_str, delegate_count, algo, encoding, value)
                            else {
                                continue;
                            };
                            let rels = match *purpose {
                                "sigAuth" => vec![Rel::Auth, Rel::Assert],
                                "veriKey" => vec![Rel::Assert],
                                "enc" => vec![Rel::Agree],
                                _ => continue,
                            };
                            methods.push((key, vm, rels));
                        }
                        ["did", "svc", kind, ..] => {
                            service_count += 1;
                            let key =
                                format!("svc-{name}-{}", alloy_primitives::hex::encode(value));
                            services.retain(|(k, _)| *k != key);
                            if *valid_to > at {
                                let text = String::from_utf8_lossy(value).into_owned();
                                let endpoint = match serde_json::from_str::<Value>(&text) {
                                    Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
                                    _ => Value::String(text),
                                };
                                services.push((
                                    key,
                                    json!({"id": format!("{did_str}#service-{service_count}"), "type": kind, "serviceEndpoint": endpoint}),
                                ));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }

        let deactivated = owner == Address::ZERO;
        let mut document = DidDocument {
            context: json!([
                "https://www.w3.org/ns/did/v1",
                "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
                "https://w3id.org/security/v3-unstable"
            ]),
            id: did_str.to_owned(),
            controller: None,
            also_known_as: Vec::new(),
            verification_method: Vec::new(),
            authentication: Vec::new(),
            assertion_method: Vec::new(),
            key_agreement: Vec::new(),
            capability_invocation: Vec::new(),
            capability_delegation: Vec::new(),
            service: Vec::new(),
        };
        if !deactivated {
            let controller = VerificationMethod {
                id: format!("{did_str}#controller"),
                type_: "EcdsaSecp256k1RecoveryMethod2020".into(),
                controller: did_str.into(),
                blockchain_account_id: Some(format!(
                    "eip155:{}:{}",
                    self.chain_id,
                    owner.to_checksum(None)
                )),
                ..VerificationMethod::default()
            };
            let reference = |id: &str| MethodRef::Reference(id.to_owned());
            document.authentication.push(reference(&controller.id));
            document.assertion_method.push(reference(&controller.id));
            document.verification_method.push(controller);
            if let (Some(key), true) = (public_key, owner == identity) {
                let vm = VerificationMethod {
                    id: format!("{did_str}#controllerKey"),
                    type_: "EcdsaSecp256k1VerificationKey2019".into(),
                    controller: did_str.into(),
                    public_key_hex: Some(alloy_primitives::hex::encode(key)),
                    ..VerificationMethod::default()
                };
                document.authentication.push(reference(&vm.id));
                document.assertion_method.push(reference(&vm.id));
                document.verification_method.push(vm);
            }
            for (_, vm, rels) in methods {
                for rel in rels {
                    let list = match rel {
                        Rel::Auth => &mut document.authentication,
                        Rel::Assert => &mut document.assertion_method,
                        Rel::Agree => &mut document.key_agreement,
                    };
                    list.push(reference(&vm.id));
                }
                document.verification_method.push(vm);
            }
            document.service = services.into_iter().map(|(_, s)| s).collect();
        }
        let rfc3339 =
            |t: u64| Timestamp::from_unix(i64::try_from(t).unwrap_or(i64::MAX)).to_rfc3339();
        let metadata = DocumentMetadata {
            updated: last.map(|e| rfc3339(e.timestamp)),
            version_id: last.map(|e| e.block.to_string()),
            next_update: next.map(|e| rfc3339(e.timestamp)),
            next_version_id: next.map(|e| e.block.to_string()),
            deactivated: deactivated.then_some(true),
            ..DocumentMetadata::default()
        };
        Ok(Resolution {
            document,
            metadata,
            content_type: stele_core::did::CONTENT_TYPE_DID_LD_JSON,
        })
    }
}

enum Cut {
    None,
    Block(u64),
    Time(u64),
}

enum Rel {
    Auth,
    Assert,
    Agree,
}

fn key_method(
    did: &str,
    n: u32,
    algo: &str,
    encoding: &str,
    value: &[u8],
) -> Option<VerificationMethod> {
    use base64::Engine as _;
    let type_ = match algo {
        "Ed25519" => "Ed25519VerificationKey2018",
        "Secp256k1" => "EcdsaSecp256k1VerificationKey2019",
        "X25519" => "X25519KeyAgreementKey2019",
        _ => return None,
    };
    let mut vm = VerificationMethod {
        id: format!("{did}#delegate-{n}"),
        type_: type_.into(),
        controller: did.into(),
        ..VerificationMethod::default()
    };
    match encoding {
        "hex" => vm.public_key_hex = Some(alloy_primitives::hex::encode(value)),
        "base64" => {
            vm.public_key_base64 = Some(base64::engine::general_purpose::STANDARD.encode(value))
        }
        "base58" => vm.public_key_base58 = Some(bs58::encode(value).into_string()),
        _ => return None,
    }
    Some(vm)
}

/// Decodes one registry log into a change and its `previousChange`.
fn decode(topics: &[B256], data: &[u8]) -> Option<(Change, u64)> {
    let first = *topics.first()?;
    let to_u64 = |v: U256| u64::try_from(v).unwrap_or(u64::MAX);
    if first == DIDRegistry::DIDOwnerChanged::SIGNATURE_HASH {
        let e = DIDRegistry::DIDOwnerChanged::decode_raw_log(topics.iter().copied(), data).ok()?;
        Some((Change::Owner(e.owner), to_u64(e.previousChange)))
    } else if first == DIDRegistry::DIDDelegateChanged::SIGNATURE_HASH {
        let e =
            DIDRegistry::DIDDelegateChanged::decode_raw_log(topics.iter().copied(), data).ok()?;
        Some((
            Change::Delegate {
                delegate_type: bytes32_text(&e.delegateType),
                delegate: e.delegate,
                valid_to: to_u64(e.validTo),
            },
            to_u64(e.previousChange),
        ))
    } else if first == DIDRegistry::DIDAttributeChanged::SIGNATURE_HASH {
        let e =
            DIDRegistry::DIDAttributeChanged::decode_raw_log(topics.iter().copied(), data).ok()?;
        Some((
            Change::Attribute {
                name: bytes32_text(&e.name),
                value: e.value.to_vec(),
                valid_to: to_u64(e.validTo),
            },
            to_u64(e.previousChange),
        ))
    } else {
        None
    }
}

/// A bytes32 holding left-aligned text, zero-padded.
pub fn bytes32_text(b: &B256) -> String {
    let end = b.iter().position(|c| *c == 0).unwrap_or(32);
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Left-aligned text in a bytes32 (longer text is an error).
pub fn text_bytes32(s: &str) -> Option<B256> {
    let bytes = s.as_bytes();
    if bytes.len() > 32 {
        return None;
    }
    let mut out = [0u8; 32];
    out[..bytes.len()].copy_from_slice(bytes);
    Some(B256::from(out))
}

fn chain_error(e: ChainError) -> DidError {
    match e {
        ChainError::Unavailable(m) => DidError::Unavailable(m),
        ChainError::TooLarge => DidError::TooLarge,
        other => DidError::Unavailable(other.to_string()),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

impl DidResolver for EthrDidResolver {
    fn resolve(&self, did: &Did, options: &ResolutionOptions) -> Result<Resolution, DidError> {
        if did.method() != "ethr" {
            return Err(DidError::MethodNotSupported(did.method().to_owned()));
        }
        let (identity, public_key) = self.identity(did)?;
        let events = self.history(identity)?;
        // The time keys are judged valid at: the version time (which
        // `document` uses itself), the block of a versionId (as other did:ethr
        // resolvers do: a key valid in that version stays listed in it even
        // if it has expired since), or the latest block's for the latest version.
        let now = match (&options.version_id, options.version_time) {
            (Some(id), _) => match id.parse::<u64>() {
                Ok(block) => {
                    let latest = self.chain.block_number().map_err(chain_error)?;
                    if block > latest {
                        return Err(DidError::NotFound(format!(
                            "versionId {block}: no such block yet"
                        )));
                    }
                    self.chain.block_timestamp(block).map_err(chain_error)?
                }
                // `document` reports the malformed versionId.
                Err(_) => 0,
            },
            (None, Some(_)) => 0,
            (None, None) => {
                let latest = self.chain.block_number().map_err(chain_error)?;
                self.chain.block_timestamp(latest).map_err(chain_error)?
            }
        };
        self.document(did, public_key.as_deref(), identity, &events, options, now)
    }
}
