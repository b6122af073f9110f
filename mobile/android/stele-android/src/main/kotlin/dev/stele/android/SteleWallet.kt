package dev.stele.android

import dev.stele.ffi.ActivityEntry
import dev.stele.ffi.ChallengeRequest
import dev.stele.ffi.CredentialDetails
import dev.stele.ffi.CredentialSummary
import dev.stele.ffi.HolderKeyInfo
import dev.stele.ffi.HttpTransport
import dev.stele.ffi.KeyAlg
import dev.stele.ffi.KeyWrap
import dev.stele.ffi.Presentation
import dev.stele.ffi.Signer
import dev.stele.ffi.StelException
import dev.stele.ffi.Wallet
import dev.stele.ffi.restoreWallet
import dev.stele.ffi.walletExists
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.io.File
import java.util.Locale

/** What a restore brought back, and the hardware keys that must be re-bound or re-issued. */
data class RestoreReport(val credentials: Int, val hardwareKeysNeedingRebinding: List<String>)

/**
 * The citizen's wallet for Android apps: the generated `dev.stele.ffi.Wallet`
 * with suspend functions that run on [io] (`Dispatchers.IO` by default: every
 * call does file I/O, Argon2id, or may ask the key store or the network), and
 * errors as [SteleError]. Close it when done (it holds the wallet file open).
 */
class SteleWallet private constructor(
    private val ffi: Wallet,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    companion object {
        /** Whether [dir] holds a wallet. */
        fun exists(dir: File): Boolean = walletExists(dir.path)

        /** Creates a wallet in [dir], its data key wrapped by [keyWrap] (e.g. [KeystoreKeyWrap]). */
        suspend fun create(dir: File, keyWrap: KeyWrap, io: CoroutineDispatcher = Dispatchers.IO): SteleWallet =
            call(io) { SteleWallet(Wallet.create(dir.path, keyWrap), io) }

        /** Opens the wallet in [dir]; [SteleError.WrongKey] if [keyWrap] does not open it. */
        suspend fun open(dir: File, keyWrap: KeyWrap, io: CoroutineDispatcher = Dispatchers.IO): SteleWallet =
            call(io) { SteleWallet(Wallet.open(dir.path, keyWrap), io) }

        /** Opens the wallet in [dir], creating it first if there is none. */
        suspend fun openOrCreate(dir: File, keyWrap: KeyWrap, io: CoroutineDispatcher = Dispatchers.IO): SteleWallet =
            call(io) {
                val w = if (walletExists(dir.path)) Wallet.open(dir.path, keyWrap) else Wallet.create(dir.path, keyWrap)
                SteleWallet(w, io)
            }

        /** Restores [backup] into a new wallet in [dir]. */
        suspend fun restore(
            dir: File,
            backup: ByteArray,
            passphrase: String,
            keyWrap: KeyWrap,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): Pair<SteleWallet, RestoreReport> = call(io) {
            val r = restoreWallet(dir.path, backup, passphrase, keyWrap)
            SteleWallet(r.wallet, io) to RestoreReport(r.credentials.toInt(), r.hardwareKeysNeedingRebinding)
        }

        private suspend fun <T> call(io: CoroutineDispatcher, body: () -> T): T = withContext(io) {
            try {
                body()
            } catch (e: StelException) {
                throw SteleError.from(e)
            }
        }
    }

    private suspend fun <T> call(body: () -> T): T = call(io, body)

    /** A software holder key (kept encrypted in the wallet). */
    suspend fun createSoftwareKey(alg: KeyAlg = KeyAlg.P256): HolderKeyInfo = call { ffi.createHolderKey(alg) }

    /** Adds a hardware key (e.g. [StrongBoxSigner]); its private key stays in the key store. */
    suspend fun addHardwareKey(alias: String, signer: Signer): HolderKeyInfo = call { ffi.addHardwareKey(alias, signer) }

    /** Supplies the signer of a stored hardware key after [open]. */
    suspend fun bindHardwareKey(alias: String, signer: Signer) = call { ffi.bindHardwareKey(alias, signer) }

    suspend fun holderKeys(): List<HolderKeyInfo> = call { ffi.holderKeys() }

    /** The did:key of every holder key: what to give an issuer. */
    suspend fun holderDids(): List<String> = call { ffi.holderDids() }

    /** Issuers trusted when receiving (a trust file's JSON). */
    suspend fun setTrustedIssuers(trustListJson: String) = call { ffi.setTrustedIssuers(trustListJson) }

    /** Reads did:ethr issuers, accreditation and status from the chain through [transport]. */
    suspend fun connectChain(rpcUrl: String, deploymentJson: String, transport: HttpTransport = UrlConnectionTransport()) =
        call { ffi.connectChain(rpcUrl, deploymentJson, transport) }

    /** Verifies and stores a credential; its id. [SteleError.InvalidCredential] with reasons otherwise. */
    suspend fun receive(credential: String): String = call { ffi.receive(credential) }

    suspend fun list(): List<CredentialSummary> = call { ffi.list() }

    /** A credential's claims, with display names in [locale]. */
    suspend fun show(id: String, locale: Locale = Locale.getDefault()): CredentialDetails =
        call { ffi.show(id, locale.toLanguageTag()) }

    suspend fun delete(id: String) = call { ffi.delete(id) }

    /** What a scanned challenge asks for: show it, let the user confirm, then [present]. */
    suspend fun parseChallenge(challengeQr: String): ChallengeRequest = call { ffi.parseChallenge(challengeQr) }

    /** The presentation QR for the counter (a hardware key may prompt the user). */
    suspend fun present(id: String, challengeQr: String, disclose: List<String>): Presentation =
        call { ffi.present(id, challengeQr, disclose) }

    suspend fun activityLog(): List<ActivityEntry> = call { ffi.activityLog() }

    /** An encrypted backup (Argon2id + XChaCha20-Poly1305) under [passphrase]. */
    suspend fun backup(passphrase: String): ByteArray = call { ffi.backup(passphrase) }

    override fun close() = ffi.close()
}
