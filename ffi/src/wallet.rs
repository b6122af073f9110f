//! The exported [`Wallet`]: core's wallet (`stele_core::wallet`) in a redb
//! file, its data key wrapped by the app's [`KeyWrap`] (or a passphrase),
//! issuers resolved as did:key locally and, once [`Wallet::connect_chain`]
//! was called, as did:ethr through the registry's read path over the app's
//! [`HttpTransport`].
//!
//! Every method is a plain blocking call (redb I/O, Argon2id, a network
//! read when an issuer is on the chain): the Kotlin and Swift wrappers in
//! `mobile/` move them off the main thread. Errors are mapped in
//! `error.rs` (`wallet_call`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use stele_core::did::MethodResolver;
use stele_core::qr::{Challenge, PayloadKind, QrMatrix, encode, pack_presentation};
use stele_core::time::{Clock, SystemClock, Timestamp};
use stele_core::verify::{AnyOf, Format, TrustList, TrustSource, Verifier};
use stele_core::wallet::{self as core_wallet, PassphraseKeyWrap, RecordStore, RedbStore};
use stele_registry::did_ethr::EthrDidResolver;
use stele_registry::status::ChainStatus;
use stele_registry::trust::ChainTrust;
use stele_registry::{Chain, Deployment, RpcChain};

use crate::error::{StelError, wallet_call};
use crate::key::KeyAlg;
use crate::platform::{CoreKeyWrap, HttpTransport, KeyWrap, RpcTransport};
use crate::signer::{CoreSigner, Signer};
use crate::verifier::CredentialFormat;

/// The wallet's file in its directory (the CLI uses the same name).
const STORE_FILE: &str = "wallet.redb";
/// How long a synced status list is reused before the chain is asked again.
const STATUS_MAX_AGE_SECS: i64 = 300;

/// A holder key of the wallet.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HolderKeyInfo {
    /// The key's id (RFC 7638 thumbprint of its public JWK).
    pub id: String,
    /// Its did:key: what an issuer binds credentials to.
    pub did: String,
    /// Its algorithm.
    pub algorithm: KeyAlg,
    /// For a hardware key, its alias in the platform key store.
    pub hardware_alias: Option<String>,
    /// Whether the wallet can sign with it now (a hardware key once bound).
    pub available: bool,
}

/// A stored credential, as listed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialSummary {
    /// Its id in the wallet.
    pub id: String,
    /// Its types (`ResidencePermitCredential`, …).
    pub types: Vec<String>,
    /// The issuer's DID.
    pub issuer: String,
    /// End of its validity (Unix seconds), if any.
    pub valid_until: Option<i64>,
    /// When the wallet received it (Unix seconds).
    pub added: i64,
}

/// One claim of a stored credential.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ClaimInfo {
    /// The claim's name (`birth_date`).
    pub name: String,
    /// Its display name in the requested locale (the name when the schema has none).
    pub display_name: String,
    /// Its value as JSON text (`"Amira"`, `true`, `{"locality":"Berlin"}`).
    pub value_json: String,
    /// Whether it can be withheld when presenting.
    pub selectively_disclosable: bool,
}

/// A stored credential with its claims.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CredentialDetails {
    /// The summary.
    pub summary: CredentialSummary,
    /// Its format.
    pub format: CredentialFormat,
    /// Start of its validity (Unix seconds), if stated.
    pub valid_from: Option<i64>,
    /// The claims, in the issuer's order.
    pub claims: Vec<ClaimInfo>,
    /// Claim paths that can be disclosed one by one (`address.locality`).
    pub disclosable_paths: Vec<String>,
}

/// What a counter's challenge asks for: shown to the user before `present`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChallengeRequest {
    /// The verifier's id (the presentation's audience).
    pub verifier: String,
    /// Credential types the counter accepts.
    pub credential_types: Vec<String>,
    /// Claim paths the counter requests.
    pub requested_claims: Vec<String>,
    /// After this instant (Unix seconds) the challenge is refused.
    pub expires: i64,
}

/// A QR code's modules, `size` × `size`, row by row, without the quiet zone
/// (leave 4 light modules around it when drawing).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrCodeMatrix {
    /// Modules per side.
    pub size: u32,
    /// `size * size` bytes, row-major: 1 = dark, 0 = light.
    pub modules: Vec<u8>,
}

/// A presentation for the counter to scan.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Presentation {
    /// The compact QR payload (`SP2:…`, alphanumeric mode).
    pub qr_payload: String,
    /// The QR code of `qr_payload`, to draw.
    pub qr_matrix: QrCodeMatrix,
    /// The claim paths disclosed on request (what the activity log records).
    pub disclosed: Vec<String>,
}

/// One entry of the activity log: what was shown to whom, without values.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ActivityEntry {
    /// When (Unix seconds).
    pub at: i64,
    /// The verifier.
    pub verifier: String,
    /// Which credential.
    pub credential_id: String,
    /// Its type.
    pub credential_type: String,
    /// The claim paths disclosed.
    pub disclosed: Vec<String>,
}

/// A wallet restored from a backup, and what it could not bring back.
#[derive(uniffi::Record)]
pub struct RestoredWallet {
    /// The restored wallet, open.
    pub wallet: Arc<Wallet>,
    /// How many credentials were restored.
    pub credentials: u32,
    /// Aliases of hardware keys whose private key stayed on the old device:
    /// bind a new platform key with `bind_hardware_key` only if it is the same
    /// key; otherwise the credentials bound to them must be re-issued.
    pub hardware_keys_needing_rebinding: Vec<String>,
}

/// How `receive` checks issuers: a verifier and the trust sources.
struct IssuerCheck {
    verifier: Verifier,
    trust: Arc<dyn TrustSource>,
}

/// The issuer configuration: a trust list, the chain if connected, and the
/// check built from them.
struct Issuers {
    trust: TrustList,
    chain: Option<(Arc<dyn Chain>, Deployment)>,
    check: Arc<IssuerCheck>,
}

impl Issuers {
    fn new() -> Self {
        let trust = TrustList::empty();
        let check = Self::build(&trust, None);
        Issuers {
            trust,
            chain: None,
            check,
        }
    }

    fn rebuild(&mut self) {
        self.check = Self::build(&self.trust, self.chain.as_ref());
    }

    /// did:key issuers from the trust list; with a chain, also did:ethr
    /// issuers, the chain's accreditation and status lists (the same
    /// wiring as the CLI's `--chain`).
    fn build(trust: &TrustList, chain: Option<&(Arc<dyn Chain>, Deployment)>) -> Arc<IssuerCheck> {
        let list: Arc<dyn TrustSource> = Arc::new(trust.clone());
        Arc::new(match chain {
            None => IssuerCheck {
                verifier: Verifier::new(Arc::new(MethodResolver::default())),
                trust: list,
            },
            Some((chain, d)) => {
                let resolver = MethodResolver::default().with(
                    "ethr",
                    EthrDidResolver::new(chain.clone(), d.did_registry, d.chain_id, &[]),
                );
                let status = ChainStatus::new(chain.clone(), d.status_lists, STATUS_MAX_AGE_SECS);
                IssuerCheck {
                    verifier: Verifier::new(Arc::new(resolver)).with_status(Arc::new(status)),
                    trust: Arc::new(AnyOf(vec![
                        Arc::new(ChainTrust::new(chain.clone(), d.accreditation)),
                        list,
                    ])),
                }
            }
        })
    }
}

/// The citizen's wallet. Every method blocks: call it off the main thread.
#[derive(uniffi::Object)]
pub struct Wallet {
    inner: core_wallet::Wallet,
    issuers: RwLock<Issuers>,
    clock: SystemClock,
}

fn store_path(dir: &str) -> PathBuf {
    Path::new(dir).join(STORE_FILE)
}

fn already_exists() -> StelError {
    StelError::AlreadyExists {
        detail: "a wallet already exists in this directory".into(),
    }
}

fn open_store(dir: &str) -> Result<Arc<dyn RecordStore>, StelError> {
    std::fs::create_dir_all(dir).map_err(|e| StelError::Storage {
        detail: format!("cannot create the wallet directory: {}", e.kind()),
    })?;
    let store = RedbStore::open(store_path(dir)).map_err(|e| StelError::Storage { detail: e.0 })?;
    Ok(Arc::new(store))
}

/// Removes the wallet file a failed `create` or restore made (it holds no
/// wallet: core writes everything in one batch, or nothing), so that the
/// directory does not look like it holds one. The store was dropped by then.
fn remove_on_error<T>(dir: &str, result: Result<T, StelError>) -> Result<T, StelError> {
    if result.is_err() {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(store_path(dir));
    }
    result
}

fn unix(t: Option<Timestamp>) -> Option<i64> {
    t.map(Timestamp::unix)
}

impl Wallet {
    fn wrap(inner: core_wallet::Wallet) -> Arc<Self> {
        Arc::new(Wallet {
            inner,
            issuers: RwLock::new(Issuers::new()),
            clock: SystemClock,
        })
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

/// Whether `dir` holds a wallet (its file exists). Does not open it.
#[uniffi::export]
pub fn wallet_exists(dir: String) -> bool {
    store_path(&dir).is_file()
}

/// Restores `backup` (made by `Wallet::backup` with `passphrase`) into a new
/// wallet in `dir`, its data key wrapped by `key_wrap`. A wrong passphrase is
/// `WrongKey`; a damaged backup is `InvalidInput` and writes nothing.
#[uniffi::export]
pub fn restore_wallet(
    dir: String,
    backup: Vec<u8>,
    passphrase: String,
    key_wrap: Arc<dyn KeyWrap>,
) -> Result<RestoredWallet, StelError> {
    if wallet_exists(dir.clone()) {
        return Err(already_exists());
    }
    let passphrase = zeroize::Zeroizing::new(passphrase);
    let store = open_store(&dir)?;
    let (inner, report) = remove_on_error(
        &dir,
        wallet_call(|| {
            core_wallet::Wallet::restore(&backup, &passphrase, store, &CoreKeyWrap(key_wrap))
        }),
    )?;
    Ok(RestoredWallet {
        wallet: Wallet::wrap(inner),
        credentials: u32::try_from(report.credentials).unwrap_or(u32::MAX),
        hardware_keys_needing_rebinding: report.hardware_keys_needing_rebinding,
    })
}

#[uniffi::export]
impl Wallet {
    /// Creates a new, empty wallet in `dir` (created if missing), its data
    /// key wrapped by the platform's `key_wrap`. `AlreadyExists` if `dir`
    /// holds one.
    #[uniffi::constructor]
    pub fn create(dir: String, key_wrap: Arc<dyn KeyWrap>) -> Result<Arc<Self>, StelError> {
        if wallet_exists(dir.clone()) {
            return Err(already_exists());
        }
        let store = open_store(&dir)?;
        let now = SystemClock.now();
        let inner = remove_on_error(
            &dir,
            wallet_call(|| core_wallet::Wallet::create(store, &CoreKeyWrap(key_wrap), now)),
        )?;
        Ok(Wallet::wrap(inner))
    }

    /// Opens the wallet in `dir` with the platform's `key_wrap`: `NotFound`
    /// if there is none, `WrongKey` if the key does not open it.
    #[uniffi::constructor]
    pub fn open(dir: String, key_wrap: Arc<dyn KeyWrap>) -> Result<Arc<Self>, StelError> {
        if !wallet_exists(dir.clone()) {
            return Err(StelError::NotFound {
                detail: "no wallet in this directory".into(),
            });
        }
        let store = open_store(&dir)?;
        let inner = wallet_call(|| core_wallet::Wallet::open(store, &CoreKeyWrap(key_wrap)))?;
        Ok(Wallet::wrap(inner))
    }

    /// [`Wallet::create`] with the data key wrapped by a passphrase
    /// (Argon2id, 64 MiB): for desktops and tests; phones use `create`.
    #[uniffi::constructor]
    pub fn create_with_passphrase(dir: String, passphrase: String) -> Result<Arc<Self>, StelError> {
        if wallet_exists(dir.clone()) {
            return Err(already_exists());
        }
        let wrap = PassphraseKeyWrap::new(&zeroize::Zeroizing::new(passphrase));
        let store = open_store(&dir)?;
        let now = SystemClock.now();
        let inner = remove_on_error(
            &dir,
            wallet_call(|| core_wallet::Wallet::create(store, &wrap, now)),
        )?;
        Ok(Wallet::wrap(inner))
    }

    /// [`Wallet::open`] with a passphrase (see `create_with_passphrase`).
    #[uniffi::constructor]
    pub fn open_with_passphrase(dir: String, passphrase: String) -> Result<Arc<Self>, StelError> {
        if !wallet_exists(dir.clone()) {
            return Err(StelError::NotFound {
                detail: "no wallet in this directory".into(),
            });
        }
        let wrap = PassphraseKeyWrap::new(&zeroize::Zeroizing::new(passphrase));
        let store = open_store(&dir)?;
        let inner = wallet_call(|| core_wallet::Wallet::open(store, &wrap))?;
        Ok(Wallet::wrap(inner))
    }

    // ---- holder keys ----

    /// Generates a software holder key (Ed25519 or P-256), stored encrypted.
    pub fn create_holder_key(&self, alg: KeyAlg) -> Result<HolderKeyInfo, StelError> {
        let key = wallet_call(|| self.inner.create_holder_key(alg.into(), self.now()))?;
        key.try_into()
    }

    /// Adds a hardware-backed P-256 key (StrongBox, Secure Enclave) known to
    /// the platform as `alias`: only its public key is stored; the private
    /// key never enters Rust.
    pub fn add_hardware_key(
        &self,
        alias: String,
        signer: Arc<dyn Signer>,
    ) -> Result<HolderKeyInfo, StelError> {
        let signer = Arc::new(CoreSigner::new(signer)?);
        let key = wallet_call(|| self.inner.add_hardware_key(&alias, signer, self.now()))?;
        key.try_into()
    }

    /// Supplies the signer of the stored hardware key `alias` after `open`;
    /// its public key must be the stored one (else `InvalidInput`).
    pub fn bind_hardware_key(
        &self,
        alias: String,
        signer: Arc<dyn Signer>,
    ) -> Result<(), StelError> {
        let signer = Arc::new(CoreSigner::new(signer)?);
        wallet_call(|| self.inner.bind_hardware_key(&alias, signer))
    }

    /// Every holder key of the wallet.
    pub fn holder_keys(&self) -> Result<Vec<HolderKeyInfo>, StelError> {
        wallet_call(|| self.inner.holder_keys())?
            .into_iter()
            .map(HolderKeyInfo::try_from)
            .collect()
    }

    /// The did:key of every holder key (what to give an issuer).
    pub fn holder_dids(&self) -> Result<Vec<String>, StelError> {
        wallet_call(|| self.inner.holder_dids())
    }

    // ---- issuers ----

    /// Trusts the issuers of `trust_list_json` (a trust file,
    /// `{"issuers": [{"did": …, "types": […]}]}`) when receiving; replaces the
    /// previous list. Chain-accredited issuers stay trusted once
    /// `connect_chain` was called.
    pub fn set_trusted_issuers(&self, trust_list_json: String) -> Result<(), StelError> {
        let trust = TrustList::from_json(trust_list_json.as_bytes())?;
        let mut issuers = self.issuers.write().unwrap_or_else(|p| p.into_inner());
        issuers.trust = trust;
        issuers.rebuild();
        Ok(())
    }

    /// Reads the chain through the JSON-RPC node at `rpc_url`, over the app's
    /// `transport`, when receiving: did:ethr issuers, their accreditation in
    /// the contracts of `deployment_json` (the deployment file the agency
    /// publishes), and status lists. Nothing is fetched until a credential needs it.
    pub fn connect_chain(
        &self,
        rpc_url: String,
        deployment_json: String,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<(), StelError> {
        let deployment: Deployment = serde_json::from_str(&deployment_json)
            .map_err(|e| StelError::invalid(format!("deployment: {e}")))?;
        let chain: Arc<dyn Chain> =
            Arc::new(RpcChain::new(&rpc_url, Arc::new(RpcTransport(transport))));
        let mut issuers = self.issuers.write().unwrap_or_else(|p| p.into_inner());
        issuers.chain = Some((chain, deployment));
        issuers.rebuild();
        Ok(())
    }

    // ---- credentials ----

    /// Verifies `credential` fully (signature, issuer and its trust, schema,
    /// validity, status, holder binding to one of this wallet's keys) and
    /// stores it; returns its id. `Rejected` with reason codes when it does
    /// not verify, `Unavailable` when the issuer or status could not be
    /// read; nothing is stored then.
    pub fn receive(&self, credential: String) -> Result<String, StelError> {
        let check = self
            .issuers
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .check
            .clone();
        wallet_call(|| {
            self.inner.receive(
                &credential,
                &check.verifier,
                check.trust.as_ref(),
                self.now(),
            )
        })
    }

    /// Every stored credential, oldest first.
    pub fn list(&self) -> Result<Vec<CredentialSummary>, StelError> {
        Ok(wallet_call(|| self.inner.list())?
            .into_iter()
            .map(CredentialSummary::from)
            .collect())
    }

    /// One credential with its claims, named in `locale` (`"de"`, `"fr-CH"`).
    pub fn show(
        &self,
        credential_id: String,
        locale: String,
    ) -> Result<CredentialDetails, StelError> {
        let d = wallet_call(|| self.inner.show(&credential_id, &locale))?;
        Ok(CredentialDetails {
            summary: d.summary.into(),
            format: match d.format {
                Format::VcJwt => CredentialFormat::VcJwt,
                // The wallet stores SD-JWT VC and VC-JOSE only (core refuses
                // Data Integrity credentials at receive).
                Format::DcSdJwt | Format::DiEddsaJcs2022 | Format::DiEddsaRdfc2022 => {
                    CredentialFormat::DcSdJwt
                }
            },
            valid_from: unix(d.valid_from),
            claims: d
                .claims
                .into_iter()
                .map(|c| ClaimInfo {
                    name: c.name,
                    display_name: c.display_name,
                    value_json: c.value.to_string(),
                    selectively_disclosable: c.selectively_disclosable,
                })
                .collect(),
            disclosable_paths: d.disclosable_paths,
        })
    }

    /// Deletes a credential (`NotFound` if there is none with this id).
    pub fn delete(&self, credential_id: String) -> Result<(), StelError> {
        wallet_call(|| self.inner.delete(&credential_id))
    }

    // ---- presenting ----

    /// Reads a counter's challenge QR (`SC2:…`): what it asks for, to show
    /// the user before `present`. `ChallengeExpired` when it is too old,
    /// `InvalidInput` when it is not a challenge.
    pub fn parse_challenge(&self, challenge_qr: String) -> Result<ChallengeRequest, StelError> {
        let c = Challenge::from_qr_payload(&challenge_qr, self.now())?;
        Ok(ChallengeRequest {
            verifier: c.verifier,
            credential_types: c.credential_types,
            requested_claims: c.claims,
            expires: c.expires.unix(),
        })
    }

    /// Presents credential `credential_id` to the counter of `challenge_qr`,
    /// disclosing the claim paths in `disclose` (what the user confirmed;
    /// normally the challenge's `requested_claims`), with key binding to the
    /// challenge's verifier and nonce, signed by the credential's holder key
    /// (a hardware key asks the platform, which may prompt the user). The
    /// presentation is recorded in the activity log (names, no values).
    pub fn present(
        &self,
        credential_id: String,
        challenge_qr: String,
        disclose: Vec<String>,
    ) -> Result<Presentation, StelError> {
        let now = self.now();
        let c = Challenge::from_qr_payload(&challenge_qr, now)?;
        let paths: Vec<&str> = disclose.iter().map(String::as_str).collect();
        let presentation = wallet_call(|| {
            self.inner
                .present(&credential_id, &c.verifier, &c.nonce, &paths, now)
        })?;
        let qr_payload = encode(PayloadKind::Presentation, &pack_presentation(&presentation));
        let matrix = QrMatrix::new(&qr_payload)?;
        let mut disclosed: Vec<String> = disclose.iter().map(|d| d.trim().to_owned()).collect();
        disclosed.sort();
        disclosed.dedup();
        Ok(Presentation {
            qr_matrix: matrix_record(&matrix),
            qr_payload,
            disclosed,
        })
    }

    /// The activity log, oldest first.
    pub fn activity_log(&self) -> Result<Vec<ActivityEntry>, StelError> {
        Ok(wallet_call(|| self.inner.activity_log())?
            .into_iter()
            .map(|e| ActivityEntry {
                at: e.at.unix(),
                verifier: e.audience,
                credential_id: e.credential_id,
                credential_type: e.credential_type,
                disclosed: e.disclosed,
            })
            .collect())
    }

    // ---- backup ----

    /// An encrypted export of every credential, software key and the log,
    /// protected by `passphrase` (Argon2id, XChaCha20-Poly1305). Restore it
    /// with `restore_wallet`.
    pub fn backup(&self, passphrase: String) -> Result<Vec<u8>, StelError> {
        let passphrase = zeroize::Zeroizing::new(passphrase);
        wallet_call(|| self.inner.backup(&passphrase))
    }
}

fn matrix_record(m: &QrMatrix) -> QrCodeMatrix {
    let size = m.size;
    let mut modules = Vec::with_capacity(size * size);
    for y in 0..size {
        for x in 0..size {
            modules.push(u8::from(m.is_dark(x, y)));
        }
    }
    QrCodeMatrix {
        size: u32::try_from(size).unwrap_or(u32::MAX),
        modules,
    }
}

impl From<core_wallet::CredentialSummary> for CredentialSummary {
    fn from(s: core_wallet::CredentialSummary) -> Self {
        CredentialSummary {
            id: s.id,
            types: s.types,
            issuer: s.issuer,
            valid_until: unix(s.valid_until),
            added: s.added.unix(),
        }
    }
}

impl TryFrom<core_wallet::HolderKey> for HolderKeyInfo {
    type Error = StelError;
    fn try_from(k: core_wallet::HolderKey) -> Result<Self, StelError> {
        Ok(HolderKeyInfo {
            algorithm: k.key_type.try_into()?,
            id: k.id,
            did: k.did,
            hardware_alias: k.hardware_alias,
            available: k.available,
        })
    }
}
