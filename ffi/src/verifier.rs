//! The exported [`Verifier`]: core's verification pipeline with a trust
//! list, and the verdict as a record.

use std::sync::Arc;

use stele_core::did::MethodResolver;
use stele_core::time::Timestamp;
use stele_core::verify::{
    self, Format, HolderBinding, HolderBindingStatus, Reason, TrustList, Verdict, VerifyOptions,
};

use crate::error::StelError;

/// The securing format of a verified input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CredentialFormat {
    /// VC-JOSE (`vc+jwt`).
    VcJwt,
    /// SD-JWT VC (`dc+sd-jwt`), possibly with key binding.
    DcSdJwt,
}

/// What was established about holder binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HolderBindingState {
    /// Key binding verified, for this verifier's audience and nonce.
    Verified,
    /// A key-binding proof verified, but no challenge was given to compare with.
    KeyBindingOnly,
    /// Not checked (not required, or a format without it).
    NotChecked,
    /// Checked and failed.
    Failed,
}

/// One reason for a rejection.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReasonRecord {
    /// The stable code (`bad_signature`, `expired`, `wrong_nonce`, …).
    pub code: String,
    /// Plain words, safe to show and log: never contains claim values.
    pub message: String,
}

/// The result of a verification that ran to the end.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerdictRecord {
    /// True only when every applicable check passed.
    pub verified: bool,
    /// The format, once recognised.
    pub format: Option<CredentialFormat>,
    /// The issuer DID, once read.
    pub issuer: Option<String>,
    /// The credential types.
    pub types: Vec<String>,
    /// The verified, disclosed subject claims as a JSON object; `{}` unless verified.
    pub claims_json: String,
    /// Start of the validity period (RFC 3339).
    pub valid_from: Option<String>,
    /// End of the validity period (RFC 3339).
    pub valid_until: Option<String>,
    /// What was established about holder binding.
    pub holder_binding: HolderBindingState,
    /// The reasons for rejection (empty when verified).
    pub reasons: Vec<ReasonRecord>,
}

/// Verifies credentials and presentations against a trust list. Issuers are
/// resolved as did:key only (no network); chain-anchored issuers come with
/// the wallet step. Cheap to share across threads.
#[derive(uniffi::Object)]
pub struct Verifier {
    inner: verify::Verifier,
    trust: TrustList,
}

#[uniffi::export]
impl Verifier {
    /// A verifier trusting the issuers of `trust_list_json`, the text of a
    /// trust file (`{"issuers": [{"did": …, "types": […]}]}`).
    #[uniffi::constructor]
    pub fn new(trust_list_json: String) -> Result<Arc<Self>, StelError> {
        let trust = TrustList::from_json(trust_list_json.as_bytes())?;
        let inner = verify::Verifier::new(Arc::new(MethodResolver::default()));
        Ok(Arc::new(Verifier { inner, trust }))
    }

    /// Verifies `input` (a `vc+jwt`, or an SD-JWT VC with or without key
    /// binding) at `now_unix`. A verdict means the checks ran (see
    /// `verified` and `reasons`); an error means something could not be checked.
    pub fn verify(
        &self,
        input: String,
        now_unix: i64,
        audience: Option<String>,
        nonce: Option<String>,
        require_holder_binding: bool,
    ) -> Result<VerdictRecord, StelError> {
        let mut options = VerifyOptions::new(Timestamp::from_unix(now_unix), &self.trust);
        options.holder_binding = HolderBinding {
            required: require_holder_binding,
            audience: audience.as_deref(),
            nonce: nonce.as_deref(),
            ..HolderBinding::NONE
        };
        Ok(self.inner.verify(&input, &options)?.into())
    }
}

impl From<&Reason> for ReasonRecord {
    fn from(r: &Reason) -> Self {
        ReasonRecord {
            code: r.code.as_str().to_owned(),
            message: r.message.clone(),
        }
    }
}

impl From<Verdict> for VerdictRecord {
    fn from(v: Verdict) -> Self {
        VerdictRecord {
            verified: v.verified,
            // Data Integrity has no binding variant yet (adding one changes
            // the generated bindings); it shows as no recognised format.
            format: v.format.and_then(|f| match f {
                Format::VcJwt => Some(CredentialFormat::VcJwt),
                Format::DcSdJwt => Some(CredentialFormat::DcSdJwt),
                Format::DiEddsaJcs2022 | Format::DiEddsaRdfc2022 => None,
            }),
            issuer: v.issuer,
            types: v.types,
            claims_json: serde_json::Value::Object(v.claims).to_string(),
            valid_from: v.valid_from,
            valid_until: v.valid_until,
            holder_binding: match v.holder_binding {
                HolderBindingStatus::Verified => HolderBindingState::Verified,
                HolderBindingStatus::KeyBindingOnly => HolderBindingState::KeyBindingOnly,
                HolderBindingStatus::NotChecked => HolderBindingState::NotChecked,
                HolderBindingStatus::Failed => HolderBindingState::Failed,
            },
            reasons: v.reasons.iter().map(ReasonRecord::from).collect(),
        }
    }
}
