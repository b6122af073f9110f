package dev.stele.android

import dev.stele.ffi.StelException

/** A reason a credential was refused: a stable code (`untrusted_issuer`) and plain words. */
data class Reason(val code: String, val message: String)

/**
 * Why a wallet call failed, as the app acts on it. Every [StelException] of
 * the bindings maps to exactly one case ([from]; an exhaustive `when`, so a
 * new variant in the Rust enum fails this module's build instead of being
 * guessed at).
 */
sealed class SteleError(message: String, cause: Throwable? = null) : Exception(message, cause) {
    /** The platform key or passphrase does not open the wallet or backup. */
    class WrongKey(cause: Throwable? = null) : SteleError("wrong key or passphrase", cause)

    /** The user dismissed an authentication prompt; nothing was done. */
    class Cancelled(cause: Throwable? = null) : SteleError("cancelled", cause)

    /** The key store refused (locked, key removed or invalidated): authenticate, or re-create the key. */
    class KeyStore(val detail: String, cause: Throwable? = null) : SteleError("key store: $detail", cause)

    /** A hardware key has no signer yet: call `bindHardwareKey(alias, …)`. */
    class KeyNotBound(val alias: String, cause: Throwable? = null) : SteleError("hardware key not bound", cause)

    /** The credential was checked and refused; show the reasons. Nothing was stored. */
    class InvalidCredential(val reasons: List<Reason>, cause: Throwable? = null) :
        SteleError("credential refused: " + reasons.joinToString { it.code }, cause)

    /** The input cannot be read (not a credential, not a challenge, unknown claim). */
    class InvalidInput(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** The challenge is too old: ask the counter for a new QR code. */
    class ChallengeExpired(cause: Throwable? = null) : SteleError("challenge expired", cause)

    /** No such credential, key or wallet. */
    class NotFound(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** A wallet already exists there: open it. */
    class AlreadyExists(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** The network, chain node or another source could not be reached: nothing was decided; retry. */
    class Network(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** The wallet file is damaged or was tampered with: restore from a backup. */
    class StorageCorrupt(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** The wallet file could not be read or written (disk full, locked). */
    class Storage(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** Written by a newer Stele: update the app. */
    class Unsupported(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    /** A bug or an unexpected platform failure: report it. */
    class Other(val detail: String, cause: Throwable? = null) : SteleError(detail, cause)

    companion object {
        /** The one mapping from the bindings' exception. */
        fun from(e: StelException): SteleError = when (e) {
            is StelException.WrongKey -> WrongKey(e)
            is StelException.Cancelled -> Cancelled(e)
            is StelException.KeyStore -> KeyStore(e.detail, e)
            is StelException.KeyNotBound -> KeyNotBound(e.alias, e)
            is StelException.Rejected -> InvalidCredential(e.reasons.map { Reason(it.code, it.message) }, e)
            is StelException.InvalidInput -> InvalidInput(e.detail, e)
            is StelException.ChallengeExpired -> ChallengeExpired(e)
            is StelException.NotFound -> NotFound(e.detail, e)
            is StelException.AlreadyExists -> AlreadyExists(e.detail, e)
            is StelException.Unavailable -> Network(e.detail, e)
            is StelException.StorageCorrupt -> StorageCorrupt(e.detail, e)
            is StelException.Storage -> Storage(e.detail, e)
            is StelException.Unsupported -> Unsupported(e.detail, e)
            is StelException.Other -> Other(e.detail, e)
        }
    }
}
