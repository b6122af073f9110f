package dev.stele.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyInfo
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import dev.stele.ffi.KeyAlg
import dev.stele.ffi.SignatureEncoding
import dev.stele.ffi.Signer
import dev.stele.ffi.StelException
import java.security.GeneralSecurityException
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec

/**
 * A P-256 holder key in the AndroidKeyStore, in StrongBox when the device
 * has one (`setIsStrongBoxBacked(true)`), else in the TEE. The private key
 * never leaves the key store, so it never enters Rust: the wallet calls
 * [sign] (SHA256withECDSA, DER; Rust converts to JOSE's `r‖s`).
 *
 * Add it with `wallet.addHardwareKey(signer.alias, signer)`; after each
 * `open`, `wallet.bindHardwareKey(signer.alias, StrongBoxSigner.getOrCreate(…))`.
 */
class StrongBoxSigner private constructor(
    val alias: String,
    private val privateKey: PrivateKey,
    private val publicKey: ECPublicKey,
) : Signer {
    /** Whether the key lives in StrongBox (a separate secure chip), not only the TEE. */
    val isStrongBox: Boolean
        get() = try {
            val info = KeyFactory.getInstance(privateKey.algorithm, ANDROID_KEYSTORE)
                .getKeySpec(privateKey, KeyInfo::class.java)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
                info.securityLevel == KeyProperties.SECURITY_LEVEL_STRONGBOX
            } else {
                false // not distinguishable from the TEE before API 31
            }
        } catch (e: GeneralSecurityException) {
            false
        }

    override fun algorithm(): KeyAlg = KeyAlg.P256

    override fun signatureEncoding(): SignatureEncoding = SignatureEncoding.DER

    override fun publicKeyJwk(): String = Jwk.p256(publicKey)

    override fun sign(message: ByteArray): ByteArray = try {
        Signature.getInstance("SHA256withECDSA").run {
            initSign(privateKey)
            update(message)
            sign()
        }
    } catch (e: UserNotAuthenticatedException) {
        throw StelException.KeyStore("authenticate the user first")
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw StelException.KeyStore("the holder key was invalidated")
    } catch (e: GeneralSecurityException) {
        throw StelException.KeyStore("Android Keystore: ${e.javaClass.simpleName}")
    }

    companion object {
        private const val ANDROID_KEYSTORE = "AndroidKeyStore"

        /**
         * The key [alias], generated on first use: in StrongBox if the device
         * has the feature, falling back to the TEE when StrongBox refuses.
         * With [requireUserAuth], signing works for [authValiditySeconds] after
         * the user authenticated: show a `BiometricPrompt` before `present`
         * (the wallet signs from a plain callback, so a per-operation
         * `CryptoObject` cannot be used); otherwise `sign` throws `KeyStore`.
         */
        fun getOrCreate(
            context: Context,
            alias: String,
            requireUserAuth: Boolean = false,
            authValiditySeconds: Int = 15,
        ): StrongBoxSigner {
            val ks = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
            val existing = ks.getEntry(alias, null) as KeyStore.PrivateKeyEntry?
            if (existing != null) {
                return StrongBoxSigner(alias, existing.privateKey, existing.certificate.publicKey as ECPublicKey)
            }
            val hasStrongBox = context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
            val pair = try {
                generate(alias, strongBox = hasStrongBox, requireUserAuth, authValiditySeconds)
            } catch (e: StrongBoxUnavailableException) {
                generate(alias, strongBox = false, requireUserAuth, authValiditySeconds)
            }
            return StrongBoxSigner(alias, pair.private, pair.public as ECPublicKey)
        }

        /** Deletes the key (e.g. when the user resets the wallet). */
        fun delete(alias: String) {
            KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }.deleteEntry(alias)
        }

        private fun generate(alias: String, strongBox: Boolean, requireUserAuth: Boolean, validity: Int) =
            KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, ANDROID_KEYSTORE).apply {
                initialize(
                    KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
                        .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
                        .setDigests(KeyProperties.DIGEST_SHA256)
                        .setIsStrongBoxBacked(strongBox)
                        .apply {
                            if (requireUserAuth) {
                                setUserAuthenticationRequired(true)
                                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                                    setUserAuthenticationParameters(
                                        validity,
                                        KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL,
                                    )
                                } else {
                                    @Suppress("DEPRECATION")
                                    setUserAuthenticationValidityDurationSeconds(validity)
                                }
                            }
                        }
                        .build(),
                )
            }.generateKeyPair()
    }
}
