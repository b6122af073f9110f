//! Chain accounts: a secp256k1 key held in process that signs transactions
//! and ERC-1056 meta-transaction digests.

use std::fmt;

use alloy_consensus::{SignableTransaction, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use k256::ecdsa::{RecoveryId, SigningKey};
use stele_core::key::SecretKey;

use crate::chain::{Chain, ChainError, Receipt, TxRequest};

/// Why an account could not be made from a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The key is not a secp256k1 key (chain accounts are secp256k1 only).
    #[error("a chain account needs a secp256k1 key")]
    WrongKeyType,
    /// The private key is not 32 bytes of hex, or is zero or not below the curve order.
    #[error("invalid secp256k1 private key")]
    InvalidKey,
}

/// A chain account: a secp256k1 key in process (zeroized on drop, no key in Debug).
///
/// The key is a `k256` `SigningKey`, which zeroizes its scalar on drop. There is
/// no `Clone`, `PartialEq` or `Serialize`: going back to key material is the
/// explicit [`Account::to_secret_key`].
pub struct Account {
    key: SigningKey,
    address: Address,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Account {
    fn from_signing_key(key: SigningKey) -> Self {
        let address = Address::from_public_key(key.verifying_key());
        Account { key, address }
    }

    /// A fresh account from a cryptographic random source.
    pub fn generate(rng: &mut impl rand_core::CryptoRngCore) -> Self {
        Self::from_signing_key(SigningKey::random(rng))
    }

    /// The account of a secp256k1 [`SecretKey`].
    pub fn from_secret_key(key: &SecretKey) -> Result<Self, AccountError> {
        match key {
            SecretKey::Secp256k1(k) => Ok(Self::from_signing_key(k.clone())),
            _ => Err(AccountError::WrongKeyType),
        }
    }

    /// The account of a hex private key (`0x` optional), e.g. one of a dev node's
    /// well-known keys in tests.
    pub fn from_private_hex(hex: &str) -> Result<Self, AccountError> {
        let hex = hex.trim();
        let hex = hex.strip_prefix("0x").unwrap_or(hex);
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        alloy_primitives::hex::decode_to_slice(hex, bytes.as_mut_slice())
            .map_err(|_| AccountError::InvalidKey)?;
        let key = SigningKey::from_slice(bytes.as_slice()).map_err(|_| AccountError::InvalidKey)?;
        Ok(Self::from_signing_key(key))
    }

    /// The key as a core [`SecretKey`] (to store it in a key file).
    pub fn to_secret_key(&self) -> SecretKey {
        SecretKey::Secp256k1(self.key.clone())
    }

    /// The account's address: the last 20 bytes of keccak256 of the uncompressed public key.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a prehash; returns the low-S signature and its recovery id.
    fn sign_prehash(&self, digest: &B256) -> (k256::ecdsa::Signature, RecoveryId) {
        // A 32-byte prehash is always accepted by k256 (it rejects only
        // prehashes shorter than half the field size), so this cannot fail.
        let (sig, recid) = self
            .key
            .sign_prehash_recoverable(digest.as_slice())
            .expect("a 32-byte prehash is always signable");
        // k256 already returns low-S; normalise anyway so the invariant does
        // not rest on a dependency's default.
        match sig.normalize_s() {
            Some(low) => {
                let flipped = RecoveryId::new(!recid.is_y_odd(), recid.is_x_reduced());
                (low, flipped)
            }
            None => (sig, recid),
        }
    }

    /// Signs a legacy EIP-155 transaction (works with gas price 0 on every node)
    /// and returns the raw bytes.
    pub fn sign_transaction(
        &self,
        chain_id: u64,
        nonce: u64,
        gas_price: u128,
        gas_limit: u64,
        to: Option<Address>,
        data: &[u8],
    ) -> Vec<u8> {
        let tx = TxLegacy {
            chain_id: Some(chain_id),
            nonce,
            gas_price,
            gas_limit,
            to: to.map_or(TxKind::Create, TxKind::Call),
            value: U256::ZERO,
            input: Bytes::copy_from_slice(data),
        };
        let (sig, recid) = self.sign_prehash(&tx.signature_hash());
        let signature = Signature::from_signature_and_parity(sig, recid.is_y_odd());
        tx.into_signed(signature).encoded_2718()
    }

    /// Sends `request` from this account and waits for its receipt: nonce, gas
    /// price, gas estimate (+20 % margin) unless given, sign, submit.
    ///
    /// A mined transaction that failed becomes [`ChainError::Reverted`]; its
    /// reason is recovered by replaying the transaction as a gas estimate from
    /// this account, since [`Chain::call`] cannot set the sender.
    pub fn send(&self, chain: &dyn Chain, request: &TxRequest) -> Result<Receipt, ChainError> {
        let chain_id = chain.chain_id()?;
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => {
                let estimate = chain.estimate_gas(self.address, request)?;
                estimate.saturating_add(estimate / 5)
            }
        };
        let gas_price = chain.gas_price()?;
        let nonce = chain.nonce(self.address)?;
        let raw = self.sign_transaction(
            chain_id,
            nonce,
            gas_price,
            gas_limit,
            request.to,
            &request.data,
        );
        let receipt = chain.send_raw_transaction(&raw)?;
        if receipt.success {
            return Ok(receipt);
        }
        let replay = TxRequest {
            gas: None,
            ..request.clone()
        };
        let reason = match chain.estimate_gas(self.address, &replay) {
            Err(ChainError::Reverted { reason }) => reason,
            // It would succeed now (state moved on), or the node cannot say.
            Ok(_) | Err(_) => format!(
                "transaction {} failed in block {} (gas used {} of {gas_limit}); no reason recovered",
                receipt.transaction_hash, receipt.block_number, receipt.gas_used
            ),
        };
        Err(ChainError::Reverted { reason })
    }

    /// Signs a 32-byte digest for ERC-1056 `...Signed` meta-transactions:
    /// `(v, r, s)` with `v` 27 or 28 and a low `s`.
    pub fn sign_digest(&self, digest: B256) -> (u8, B256, B256) {
        let (sig, recid) = self.sign_prehash(&digest);
        let (r, s) = sig.split_bytes();
        (
            27 + u8::from(recid.is_y_odd()),
            B256::from_slice(&r),
            B256::from_slice(&s),
        )
    }
}

/// The digest an identity's owner signs for `changeOwnerSigned` (ERC-1056):
/// `keccak256(0x19 0x00 registry nonce identity "changeOwner" newOwner)`, with
/// `nonce` the registry's `nonce(owner)`.
pub fn change_owner_digest(
    registry: Address,
    nonce: U256,
    identity: Address,
    new_owner: Address,
) -> B256 {
    let mut buf = Vec::with_capacity(2 + 20 + 32 + 20 + 11 + 20);
    buf.extend_from_slice(&[0x19, 0x00]);
    buf.extend_from_slice(registry.as_slice());
    buf.extend_from_slice(&nonce.to_be_bytes::<32>());
    buf.extend_from_slice(identity.as_slice());
    buf.extend_from_slice(b"changeOwner");
    buf.extend_from_slice(new_owner.as_slice());
    keccak256(buf)
}

/// The digest an identity's owner signs for `addDelegateSigned` (ERC-1056).
pub fn add_delegate_digest(
    registry: Address,
    nonce: U256,
    identity: Address,
    delegate_type: B256,
    delegate: Address,
    validity: U256,
) -> B256 {
    let mut buf = Vec::with_capacity(2 + 20 + 32 + 20 + 11 + 32 + 20 + 32);
    buf.extend_from_slice(&[0x19, 0x00]);
    buf.extend_from_slice(registry.as_slice());
    buf.extend_from_slice(&nonce.to_be_bytes::<32>());
    buf.extend_from_slice(identity.as_slice());
    buf.extend_from_slice(b"addDelegate");
    buf.extend_from_slice(delegate_type.as_slice());
    buf.extend_from_slice(delegate.as_slice());
    buf.extend_from_slice(&validity.to_be_bytes::<32>());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use alloy_consensus::TxEnvelope;
    use alloy_eips::eip2718::Decodable2718;
    use k256::ecdsa::VerifyingKey;

    use super::*;

    /// Anvil's and Hardhat's first well-known dev key and its address.
    const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const DEV_ADDRESS: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

    #[test]
    fn address_of_a_known_key() {
        let a = Account::from_private_hex(DEV_KEY).expect("valid key");
        assert_eq!(
            a.address(),
            DEV_ADDRESS.parse::<Address>().expect("address")
        );
        let debug = format!("{a:?}");
        assert!(debug.contains("Account"));
        assert!(
            !debug.to_lowercase().contains("ac0974bec39a17e3"),
            "{debug}"
        );
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            Account::from_private_hex("0x1234").unwrap_err(),
            AccountError::InvalidKey
        );
        assert_eq!(
            Account::from_private_hex(&"00".repeat(32)).unwrap_err(),
            AccountError::InvalidKey
        );
        assert_eq!(
            Account::from_private_hex(&"zz".repeat(32)).unwrap_err(),
            AccountError::InvalidKey
        );
        let ed = SecretKey::generate(stele_core::key::KeyType::Ed25519, &mut rand_core::OsRng);
        assert_eq!(
            Account::from_secret_key(&ed).unwrap_err(),
            AccountError::WrongKeyType
        );
    }

    #[test]
    fn secret_key_round_trip() {
        let a = Account::generate(&mut rand_core::OsRng);
        let b = Account::from_secret_key(&a.to_secret_key()).expect("secp256k1");
        assert_eq!(a.address(), b.address());
    }

    #[test]
    fn signed_transaction_recovers_to_the_sender() {
        let a = Account::from_private_hex(DEV_KEY).expect("valid key");
        let to: Address = "0x1000000000000000000000000000000000000001"
            .parse()
            .expect("address");
        let raw = a.sign_transaction(31337, 7, 0, 100_000, Some(to), &[1, 2, 3]);
        let env = TxEnvelope::decode_2718(&mut raw.as_slice()).expect("decodes");
        let TxEnvelope::Legacy(signed) = &env else {
            panic!("legacy expected")
        };
        assert_eq!(signed.tx().chain_id, Some(31337));
        assert_eq!(signed.tx().nonce, 7);
        assert_eq!(signed.tx().to, TxKind::Call(to));
        assert_eq!(signed.recover_signer().expect("recovers"), a.address());
        assert!(signed.signature().normalize_s().is_none(), "low-S");
    }

    #[test]
    fn digest_signature_is_ecrecover_compatible() {
        let a = Account::generate(&mut rand_core::OsRng);
        for i in 0u8..16 {
            let digest = keccak256([i]);
            let (v, r, s) = a.sign_digest(digest);
            assert!(v == 27 || v == 28);
            let sig = k256::ecdsa::Signature::from_scalars(r.0, s.0).expect("valid scalars");
            assert!(sig.normalize_s().is_none(), "low-S");
            let recid = RecoveryId::from_byte(v - 27).expect("0 or 1");
            let vk = VerifyingKey::recover_from_prehash(digest.as_slice(), &sig, recid)
                .expect("recovers");
            assert_eq!(Address::from_public_key(&vk), a.address());
        }
    }
}
