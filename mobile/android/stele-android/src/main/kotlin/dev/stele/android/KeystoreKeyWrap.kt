package dev.stele.android

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import android.security.keystore.UserNotAuthenticatedException
import dev.stele.ffi.KeyWrap
import dev.stele.ffi.StelException
import java.security.GeneralSecurityException
import java.security.KeyStore
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Wraps the wallet's data key with an AES-256-GCM key that never leaves the
 * AndroidKeyStore (TEE, or StrongBox when [preferStrongBox] and the device
 * has one). Wrapped form: `0x01 ‖ iv (12) ‖ ciphertext ‖ tag (16)`.
 *
 * With [requireUserAuth], the key is usable for [authValiditySeconds] after
 * the user authenticated (biometric or device credential): show a
 * `BiometricPrompt` before opening the wallet; without it, unwrapping fails
 * with `StelException.KeyStore` ("authenticate first").
 */
class KeystoreKeyWrap(
    private val alias: String = "stele-wallet-key-wrap",
    private val requireUserAuth: Boolean = false,
    private val authValiditySeconds: Int = 30,
    private val preferStrongBox: Boolean = false,
) : KeyWrap {
    private fun key(): SecretKey {
        val ks = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (ks.getKey(alias, null) as SecretKey?)?.let { return it }
        return try {
            generate(strongBox = preferStrongBox)
        } catch (e: StrongBoxUnavailableException) {
            generate(strongBox = false) // no StrongBox on this device: the TEE
        }
    }

    private fun generate(strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setRandomizedEncryptionRequired(true)
            .apply {
                if (strongBox) setIsStrongBoxBacked(true)
                if (requireUserAuth) {
                    setUserAuthenticationRequired(true)
                    setInvalidatedByBiometricEnrollment(false)
                    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                        setUserAuthenticationParameters(
                            authValiditySeconds,
                            KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL,
                        )
                    } else {
                        @Suppress("DEPRECATION")
                        setUserAuthenticationValidityDurationSeconds(authValiditySeconds)
                    }
                }
            }
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
            .apply { init(spec) }
            .generateKey()
    }

    override fun wrapKey(dataKey: ByteArray): ByteArray = keystore {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, key()) // the key store picks the IV
        cipher.updateAAD(AAD)
        val sealed = cipher.doFinal(dataKey)
        byteArrayOf(FORMAT) + cipher.iv + sealed
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray = keystore {
        if (wrapped.size < 1 + IV_LEN + TAG_BITS / 8 || wrapped[0] != FORMAT) throw StelException.WrongKey()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key(), GCMParameterSpec(TAG_BITS, wrapped, 1, IV_LEN))
        cipher.updateAAD(AAD)
        try {
            cipher.doFinal(wrapped, 1 + IV_LEN, wrapped.size - 1 - IV_LEN)
        } catch (e: AEADBadTagException) {
            throw StelException.WrongKey()
        }
    }

    /** Key store failures as the errors the wallet knows. */
    private inline fun <T> keystore(body: () -> T): T = try {
        body()
    } catch (e: StelException) {
        throw e
    } catch (e: UserNotAuthenticatedException) {
        throw StelException.KeyStore("authenticate the user first")
    } catch (e: KeyPermanentlyInvalidatedException) {
        throw StelException.KeyStore("the wrapping key was invalidated; restore the wallet from a backup")
    } catch (e: GeneralSecurityException) {
        throw StelException.KeyStore("Android Keystore: ${e.javaClass.simpleName}")
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_LEN = 12
        const val TAG_BITS = 128
        const val FORMAT: Byte = 1
        val AAD = "stele-wallet-data-key".toByteArray()
    }
}
